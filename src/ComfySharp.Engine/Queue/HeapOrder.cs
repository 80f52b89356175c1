namespace ComfySharp.Engine.Queue;

/// <summary>
/// A binary min-heap laid out exactly like Python's <c>heapq</c>, because <c>GET /queue</c> shows the
/// raw heap array (API.md §4.1) and clients may notice its order.
/// </summary>
/// <typeparam name="T">Item type.</typeparam>
/// <param name="compare">Ordering; smallest first.</param>
internal sealed class HeapOrder<T>(Comparison<T> compare)
{
    private readonly List<T> _items = [];

    public int Count => _items.Count;

    public IReadOnlyList<T> Items => _items;

    public void Push(T item)
    {
        _items.Add(item);
        SiftDown(0, _items.Count - 1);
    }

    public T Pop()
    {
        T last = _items[^1];
        _items.RemoveAt(_items.Count - 1);
        if (_items.Count == 0)
        {
            return last;
        }
        T first = _items[0];
        _items[0] = last;
        SiftUp(0);
        return first;
    }

    public void RemoveAt(int index)
    {
        _items.RemoveAt(index);
        Heapify();
    }

    public void Clear() => _items.Clear();

    private void Heapify()
    {
        for (int i = _items.Count / 2 - 1; i >= 0; i--)
        {
            SiftUp(i);
        }
    }

    // heapq._siftdown: move the item at pos up towards startPos while it is smaller than its parent.
    private void SiftDown(int startPos, int pos)
    {
        T newItem = _items[pos];
        while (pos > startPos)
        {
            int parentPos = (pos - 1) >> 1;
            T parent = _items[parentPos];
            if (compare(newItem, parent) < 0)
            {
                _items[pos] = parent;
                pos = parentPos;
                continue;
            }
            break;
        }
        _items[pos] = newItem;
    }

    // heapq._siftup: bubble the smaller child up until a leaf, then place the item with _siftdown.
    private void SiftUp(int pos)
    {
        int endPos = _items.Count;
        int startPos = pos;
        T newItem = _items[pos];
        int childPos = 2 * pos + 1;
        while (childPos < endPos)
        {
            int rightPos = childPos + 1;
            if (rightPos < endPos && !(compare(_items[childPos], _items[rightPos]) < 0))
            {
                childPos = rightPos;
            }
            _items[pos] = _items[childPos];
            pos = childPos;
            childPos = 2 * pos + 1;
        }
        _items[pos] = newItem;
        SiftDown(startPos, pos);
    }
}
