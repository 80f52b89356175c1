using ComfySharp.Abstractions;
using Xunit;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>The interface facts of NODES.md §3 for every image, mask and latent node.</summary>
public sealed class ImagingSchemaTests
{
    // class, display name (null = none), category, python module, schema flavour, inputs in order
    public static readonly TheoryData<string, string?, string, string, bool, string> Nodes = new()
    {
        { "LoadImage", "Load Image", "image", "nodes", false, "image" },
        { "LoadImageMask", "Load Image (as Mask)", "mask", "nodes", false, "image channel" },
        { "SaveImage", "Save Image", "image", "nodes", false, "images filename_prefix" },
        { "PreviewImage", "Preview Image", "image", "nodes", false, "images" },
        { "ImageScale", "Upscale Image", "image/upscaling", "nodes", false, "image upscale_method width height crop" },
        { "ImageScaleBy", "Upscale Image By", "image/upscaling", "nodes", false, "image upscale_method scale_by" },
        { "ImageInvert", "Invert Image", "image", "nodes", false, "image" },
        { "ImageBatch", "Batch Images", "image", "nodes", false, "image1 image2" },
        { "ImagePadForOutpaint", "Pad Image for Outpainting", "image", "nodes", false, "image left top right bottom feathering" },
        { "EmptyImage", null, "image", "nodes", false, "width height batch_size color" },
        { "ImageCrop", "Image Crop", "image/transform", "comfy_extras.nodes_images", true, "image width height x y" },
        { "ImageBlend", null, "image/postprocessing", "comfy_extras.nodes_post_processing", true, "image1 image2 blend_factor blend_mode" },
        { "ImageBlur", null, "image/postprocessing", "comfy_extras.nodes_post_processing", true, "image blur_radius sigma" },
        { "ImageSharpen", null, "image/postprocessing", "comfy_extras.nodes_post_processing", true, "image sharpen_radius sigma alpha" },
        { "Canny", null, "image/preprocessors", "comfy_extras.nodes_canny", true, "image low_threshold high_threshold" },
        { "ImageQuantize", null, "image/postprocessing", "comfy_extras.nodes_post_processing", true, "image colors dither" },
        { "ImageCompositeMasked", null, "image", "comfy_extras.nodes_mask", true, "destination source x y resize_source mask" },
        { "RebatchImages", "Rebatch Images", "image/batch", "comfy_extras.nodes_rebatch", true, "images batch_size" },
        { "MaskToImage", "Convert Mask to Image", "mask", "comfy_extras.nodes_mask", true, "mask" },
        { "ImageToMask", "Convert Image to Mask", "mask", "comfy_extras.nodes_mask", true, "image channel" },
        { "SolidMask", null, "mask", "comfy_extras.nodes_mask", true, "value width height" },
        { "InvertMask", null, "mask", "comfy_extras.nodes_mask", true, "mask" },
        { "CropMask", null, "mask", "comfy_extras.nodes_mask", true, "mask x y width height" },
        { "MaskComposite", null, "mask", "comfy_extras.nodes_mask", true, "destination source x y operation" },
        { "FeatherMask", null, "mask", "comfy_extras.nodes_mask", true, "mask left top right bottom" },
        { "GrowMask", "Grow Mask", "mask", "comfy_extras.nodes_mask", true, "mask expand tapered_corners" },
        { "ThresholdMask", null, "mask", "comfy_extras.nodes_mask", true, "mask value" },
        { "EmptyLatentImage", "Empty Latent Image", "latent", "nodes", false, "width height batch_size" },
        { "LatentUpscale", "Upscale Latent", "latent", "nodes", false, "samples upscale_method width height crop" },
        { "LatentUpscaleBy", "Upscale Latent By", "latent", "nodes", false, "samples upscale_method scale_by" },
        { "LatentComposite", "Latent Composite", "latent", "nodes", false, "samples_to samples_from x y feather" },
        { "LatentBlend", "Latent Blend", "_for_testing", "nodes", false, "samples1 samples2 blend_factor" },
        { "LatentCrop", "Crop Latent", "latent/transform", "nodes", false, "samples width height x y" },
        { "LatentFlip", "Flip Latent", "latent/transform", "nodes", false, "samples flip_method" },
        { "LatentRotate", "Rotate Latent", "latent/transform", "nodes", false, "samples rotation" },
        { "LatentFromBatch", "Latent From Batch", "latent/batch", "nodes", false, "samples batch_index length" },
        { "RepeatLatentBatch", "Repeat Latent Batch", "latent/batch", "nodes", false, "samples amount" },
        { "SetLatentNoiseMask", "Set Latent Noise Mask", "latent/inpaint", "nodes", false, "samples mask" },
        { "ImageFlip", null, "image/transform", "comfy_extras.nodes_images", true, "image flip_method" },
        { "ImageRotate", null, "image/transform", "comfy_extras.nodes_images", true, "image rotation" },
        { "RepeatImageBatch", null, "image/batch", "comfy_extras.nodes_images", true, "image amount" },
        { "LatentAdd", null, "latent/advanced", "comfy_extras.nodes_latent", true, "samples1 samples2" },
        { "LatentSubtract", null, "latent/advanced", "comfy_extras.nodes_latent", true, "samples1 samples2" },
        { "LatentMultiply", null, "latent/advanced", "comfy_extras.nodes_latent", true, "samples multiplier" },
        { "LatentInterpolate", null, "latent/advanced", "comfy_extras.nodes_latent", true, "samples1 samples2 ratio" },
    };

    private static NodeRegistry Registry()
    {
        var registry = new NodeRegistry();
        ComfySharp.Nodes.Image.ImageNodes.Register(registry);
        ComfySharp.Nodes.Mask.MaskNodes.Register(registry);
        ComfySharp.Nodes.Latent.LatentNodes.Register(registry);
        return registry;
    }

    [Theory]
    [MemberData(nameof(Nodes))]
    public void Schema_matches_the_catalogue(string classType, string? displayName, string category, string module, bool schemaFlavour, string inputs)
    {
        Assert.True(Registry().TryGet(classType, out var registration), $"{classType} is not registered");
        NodeSchema schema = registration.Schema;
        Assert.Equal(classType, registration.NodeType.Name);
        Assert.Equal(displayName, schema.DisplayName);
        Assert.Equal(category, schema.Category);
        Assert.Equal(module, schema.PythonModule);
        Assert.Equal(schemaFlavour ? NodeFlavor.Schema : NodeFlavor.Classic, schema.Flavor);
        Assert.Equal(inputs.Split(' '), schema.AllInputs.Select(i => i.Name));
    }

    [Fact]
    public void Every_node_class_of_these_folders_is_registered_and_catalogued()
    {
        var registry = Registry();
        string[] namespaces = ["ComfySharp.Nodes.Image", "ComfySharp.Nodes.Mask", "ComfySharp.Nodes.Latent"];
        var classes = typeof(ComfySharp.Nodes.Image.ImageNodes).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(ComfyNode)) && namespaces.Contains(t.Namespace))
            .Select(t => t.Name).Order().ToList();
        Assert.Equal(classes, registry.All.Select(r => r.Schema.ClassType).Order());
        // Every row of the table above is one of these classes; the classes added later are checked against the
        // reference's catalogue entry by ReferenceCatalogueTests (this table predates it).
        Assert.Empty(Nodes.Select(row => row.Data.Item1).Except(classes));
    }

    [Fact]
    public void Interface_details_the_reference_serves()
    {
        var registry = Registry();
        NodeSchema Schema(string name) => registry.TryGet(name, out var r) ? r.Schema : throw new KeyNotFoundException(name);
        var scale = (ComboInput)Schema("ImageScale").Required[1];
        Assert.Equal(["nearest-exact", "bilinear", "area", "bicubic", "lanczos"], scale.GetOptions(EmptyServices.Instance));
        var latentScale = (ComboInput)Schema("LatentUpscale").Required[1];
        Assert.Equal(["nearest-exact", "bilinear", "area", "bicubic", "bislerp"], latentScale.GetOptions(EmptyServices.Instance));
        Assert.True(((ComboInput)Schema("LoadImage").Required[0]).ImageUpload);
        Assert.True(Schema("SaveImage").OutputNode);
        Assert.True(Schema("PreviewImage").OutputNode);
        Assert.Equal(["prompt", "extra_pnginfo"], Schema("SaveImage").Hidden.Select(h => h.Name));
        Assert.True(Schema("ImageBatch").Deprecated);
        Assert.True(Schema("EmptyLatentImage").HasOutputTooltips);
        Assert.Equal(["IMAGE", "MASK"], Schema("LoadImage").Outputs.Select(o => o.Type));
        Assert.Equal("color", ((IntInput)Schema("EmptyImage").Required[3]).Display);
        Assert.Equal(-16384, ((IntInput)Schema("GrowMask").Required[1]).Min);
        Assert.Single(Schema("ImageCompositeMasked").Optional);
    }
}

internal sealed class EmptyServices : IServiceProvider
{
    public static readonly EmptyServices Instance = new();

    public object? GetService(Type serviceType) => null;
}
