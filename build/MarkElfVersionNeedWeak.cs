// Marks one version requirement (an entry of .gnu.version_r) of an ELF64 little-endian shared library
// as weak, so that the dynamic loader accepts a system library that lacks that version. Used for
// TorchSharp's libLibTorchSharp.so on systems whose libstdc++ is older than the one it was linked
// against (see Directory.Build.targets). Does nothing when the system runtime has the version.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class MarkElfVersionNeedWeak : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public string LibraryPath { get; set; } = "";
    [Required] public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        if (SystemRuntimeHas(VersionName))
        {
            return true;
        }
        byte[] elf = File.ReadAllBytes(LibraryPath);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
        {
            Log.LogWarning("{0} is not a 64-bit little-endian ELF file; left unchanged.", LibraryPath);
            return true;
        }
        ulong sectionTable = BitConverter.ToUInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        bool changed = false;
        for (int i = 0; i < sectionCount; i++)
        {
            int header = checked((int)sectionTable + (i * sectionSize));
            if (BitConverter.ToUInt32(elf, header + 4) != ShtGnuVerneed)
            {
                continue;
            }
            int offset = checked((int)BitConverter.ToUInt64(elf, header + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, header + 0x28);
            int stringsHeader = checked((int)sectionTable + (link * sectionSize));
            int strings = checked((int)BitConverter.ToUInt64(elf, stringsHeader + 0x18));
            int need = offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < count; a++)
                {
                    int name = strings + (int)BitConverter.ToUInt32(elf, aux + 8);
                    if (ReadCString(elf, name) == VersionName)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                            changed = true;
                        }
                    }
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                uint next = BitConverter.ToUInt32(elf, need + 12);
                if (next == 0)
                {
                    break;
                }
                need += (int)next;
            }
        }
        if (changed)
        {
            string temp = LibraryPath + ".patching";
            File.WriteAllBytes(temp, elf);
            File.Copy(temp, LibraryPath, true);
            File.Delete(temp);
            Log.LogMessage(MessageImportance.High, "Marked {0} weak in {1}.", VersionName, LibraryPath);
        }
        return true;
    }

    private static string ReadCString(byte[] data, int start)
    {
        int end = start;
        while (end < data.Length && data[end] != 0)
        {
            end++;
        }
        return Encoding.ASCII.GetString(data, start, end - start);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }
            if (j == needle.Length)
            {
                return i;
            }
        }
        return -1;
    }

    private static bool SystemRuntimeHas(string version)
    {
        foreach (string candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6" })
        {
            if (File.Exists(candidate))
            {
                byte[] bytes = File.ReadAllBytes(candidate);
                byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
                return IndexOf(bytes, needle) >= 0;
            }
        }
        return false;
    }
}
