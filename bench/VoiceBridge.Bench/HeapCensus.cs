using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace VoiceBridge.Bench;

/// <summary>
/// One deterministic look at the bridge's memory: ClrMD attaches to the (briefly suspended) bridge, marks the
/// objects reachable from its roots and counts them per type; the GC's committed segments, the runtime's own
/// native heaps (ClrMD) and <c>/proc/pid/smaps</c> say where the rest of RSS lives. Benchmark-only: nothing in
/// the bridge changes for it, and it never runs during a timed window.
/// </summary>
internal sealed class HeapCensus
{
    private HeapCensus(int sessions)
    {
        Sessions = sessions;
    }

    public int Sessions { get; }

    /// <summary>Live (reachable) objects per type: count and bytes. Arrays of bytes are also split by length (<c>byte[len]</c>) and by heap (<c>[POH]</c>).</summary>
    public Dictionary<string, (long Count, long Bytes)> Types { get; } = new(StringComparer.Ordinal);

    /// <summary>Live objects per (type, type of the object that first reached it in the marking): who holds them.</summary>
    public Dictionary<(string Type, string Holder), long> Holders { get; } = [];

    public long LiveBytes { get; private set; }

    public long LiveObjects { get; private set; }

    /// <summary>Objects still on the heap that nothing reaches (garbage not yet collected).</summary>
    public long DeadBytes { get; private set; }

    /// <summary>Committed bytes of the GC's segments/regions, by kind (Gen0, Gen1, Gen2, Large, Pinned, Frozen...).</summary>
    public Dictionary<string, long> Committed { get; } = new(StringComparer.Ordinal);

    /// <summary>The runtime's native heaps that ClrMD can name (loader, JIT code, stubs, GC bookkeeping...), by kind.</summary>
    public Dictionary<string, long> NativeHeaps { get; } = new(StringComparer.Ordinal);

    /// <summary>Resident bytes from <c>/proc/pid/smaps</c>, by where they live.</summary>
    public Dictionary<string, long> Resident { get; } = new(StringComparer.Ordinal);

    public long RssBytes { get; private set; }

    public int Threads { get; private set; }

    /// <summary>RSS once a full GC has run right after the census (no garbage left to count).</summary>
    public long RssAfterGcBytes { get; set; }

    /// <summary>The bridge's <c>dotnet_gc_allocated_bytes_total</c> just before the census (NaN without the benchmark counters).</summary>
    public double AllocatedBytes { get; set; } = double.NaN;

    public static HeapCensus Take(int pid, int sessions)
    {
        var census = new HeapCensus(sessions);
        using var target = DataTarget.AttachToProcess(pid, suspend: true);
        var runtime = target.ClrVersions.Single().CreateRuntime();
        var heap = runtime.Heap;
        if (!heap.CanWalkHeap)
        {
            throw new InvalidOperationException("the bridge's heap cannot be walked right now (a GC in progress?)");
        }

        var gcRanges = new List<(ulong Start, ulong End)>();
        foreach (var segment in heap.Segments)
        {
            var kind = segment.Kind.ToString();
            census.Committed[kind] = census.Committed.GetValueOrDefault(kind) + (long)segment.CommittedMemory.Length;
            gcRanges.Add((segment.ReservedMemory.Start, segment.ReservedMemory.End));
        }

        var nativeRanges = new List<(ulong Start, ulong End)>();
        foreach (var native in runtime.EnumerateClrNativeHeaps())
        {
            var kind = native.Kind.ToString();
            census.NativeHeaps[kind] = census.NativeHeaps.GetValueOrDefault(kind) + (long)native.MemoryRange.Length;
            nativeRanges.Add((native.MemoryRange.Start, native.MemoryRange.End));
        }

        var live = MarkLive(heap, out var parents);
        foreach (var obj in heap.EnumerateObjects())
        {
            if (!obj.IsValid || obj.Type is null || obj.IsFree)
            {
                continue;
            }

            var size = (long)obj.Size;
            if (!live.Contains(obj.Address))
            {
                census.DeadBytes += size;
                continue;
            }

            census.LiveBytes += size;
            census.LiveObjects++;
            var name = obj.Type.Name ?? "?";
            if (name == "System.Byte[]")
            {
                var poh = heap.GetSegmentByAddress(obj.Address)?.Kind == GCSegmentKind.Pinned ? " [POH]" : string.Empty;
                name = string.Create(CultureInfo.InvariantCulture, $"System.Byte[{obj.AsArray().Length}]{poh}");
            }

            var (count, bytes) = census.Types.GetValueOrDefault(name);
            census.Types[name] = (count + 1, bytes + size);
            var holder = parents.TryGetValue(obj.Address, out var parent) ? heap.GetObjectType(parent)?.Name ?? "?" : "(root)";
            census.Holders[(name, holder)] = census.Holders.GetValueOrDefault((name, holder)) + 1;
        }

        census.ReadSmaps(pid, gcRanges, nativeRanges);
        return census;
    }

    /// <summary>Everything reachable from the roots (stacks, handles, statics, the finalizer queue).</summary>
    private static HashSet<ulong> MarkLive(ClrHeap heap, out Dictionary<ulong, ulong> parents)
    {
        var live = new HashSet<ulong>();
        parents = [];
        var pending = new Stack<ulong>();
        foreach (var root in heap.EnumerateRoots())
        {
            var address = root.Object.Address;
            if (address != 0 && live.Add(address))
            {
                pending.Push(address);
            }
        }

        while (pending.Count > 0)
        {
            var address = pending.Pop();
            var obj = heap.GetObject(address);
            if (!obj.IsValid || obj.Type is null || !obj.Type.ContainsPointers && !obj.Type.IsCollectible)
            {
                continue;
            }

            foreach (var reference in obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
            {
                if (reference != 0 && live.Add(reference))
                {
                    parents[reference] = address;
                    pending.Push(reference);
                }
            }
        }

        return live;
    }

    private void ReadSmaps(int pid, List<(ulong Start, ulong End)> gcRanges, List<(ulong Start, ulong End)> nativeRanges)
    {
        string? where = null;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var first = line.IndexOf(' ', StringComparison.Ordinal);
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && dash < first && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(line.AsSpan(dash + 1, first - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end))
            {
                // "start-end perms offset dev inode [path]": the path is the sixth field, if any.
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                var path = fields.Length == 6 ? fields[5].Trim() : string.Empty;
                where = path switch
                {
                    "" when Overlaps(gcRanges, start, end) => "anon: GC heap",
                    "" when Overlaps(nativeRanges, start, end) => "anon: runtime native heaps (ClrMD)",
                    "" => "anon: other (malloc, thread stacks, ...)",
                    "[heap]" => "brk heap (malloc)",
                    "[stack]" => "main thread stack",
                    _ when path.StartsWith('[') => "other: " + path,
                    _ when path.StartsWith("/memfd:", StringComparison.Ordinal) => "memfd: " + path,
                    _ => "file-backed (code, data)",
                };
            }
            else if (where is not null && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(4).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
                Resident[where] = Resident.GetValueOrDefault(where) + (kb * 1024);
            }
        }

        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                Threads = int.Parse(line.AsSpan("Threads:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        RssBytes = ProcFs.RssBytes(pid);
    }

    /// <summary>Type names without their namespaces' bulk, so that a row fits on a line.</summary>
    private static string Shorten(string name) => System.Text.RegularExpressions.Regex.Replace(name, @"\b(?:[A-Za-z_][A-Za-z0-9_]*\.)+(?=[A-Za-z_<])", string.Empty);

    private static bool Overlaps(List<(ulong Start, ulong End)> ranges, ulong start, ulong end) =>
        ranges.Exists(r => r.Start < end && start < r.End);

    /// <summary>
    /// The per-session cost between two censuses of the same process (<paramref name="high"/> has more sessions):
    /// what grew, divided by how many sessions were added; the fixed cost cancels out.
    /// </summary>
    public static string Compare(string title, HeapCensus low, HeapCensus high, int top = 30)
    {
        var added = high.Sessions - low.Sessions;
        var text = new System.Text.StringBuilder();
        void Line(string s) => text.AppendLine(s);
        string Kb(double bytes) => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
        string PerSession(long lowValue, long highValue) => ((highValue - lowValue) / (double)added).ToString("F0", CultureInfo.InvariantCulture);

        Line(string.Create(CultureInfo.InvariantCulture, $"== heap census: {title}: {low.Sessions} → {high.Sessions} sessions, per added session =="));
        Line(string.Create(CultureInfo.InvariantCulture, $"  RSS                  {Kb(low.RssBytes),10} → {Kb(high.RssBytes),10} KB   {PerSession(low.RssBytes, high.RssBytes),8} B/session"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  RSS after a full GC  {Kb(low.RssAfterGcBytes),10} → {Kb(high.RssAfterGcBytes),10} KB   {PerSession(low.RssAfterGcBytes, high.RssAfterGcBytes),8} B/session"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  allocated in between (GC.GetTotalAllocatedBytes, includes the GC-inducing scrapes)  {(high.AllocatedBytes - low.AllocatedBytes) / added:F0} B/session"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  managed live         {Kb(low.LiveBytes),10} → {Kb(high.LiveBytes),10} KB   {PerSession(low.LiveBytes, high.LiveBytes),8} B/session ({PerSession(low.LiveObjects, high.LiveObjects)} objects)"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  managed dead         {Kb(low.DeadBytes),10} → {Kb(high.DeadBytes),10} KB   {PerSession(low.DeadBytes, high.DeadBytes),8} B/session (garbage not yet collected)"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  threads              {low.Threads,10} → {high.Threads,10}"));
        foreach (var key in low.Committed.Keys.Union(high.Committed.Keys).Order(StringComparer.Ordinal))
        {
            var a = low.Committed.GetValueOrDefault(key);
            var b = high.Committed.GetValueOrDefault(key);
            Line(string.Create(CultureInfo.InvariantCulture, $"  GC committed {key,-8}{Kb(a),10} → {Kb(b),10} KB   {PerSession(a, b),8} B/session"));
        }

        foreach (var key in low.Resident.Keys.Union(high.Resident.Keys).Order(StringComparer.Ordinal))
        {
            var a = low.Resident.GetValueOrDefault(key);
            var b = high.Resident.GetValueOrDefault(key);
            Line(string.Create(CultureInfo.InvariantCulture, $"  RSS {key,-40}{Kb(a),10} → {Kb(b),10} KB   {PerSession(a, b),8} B/session"));
        }

        var nativeLow = low.NativeHeaps.Values.Sum();
        var nativeHigh = high.NativeHeaps.Values.Sum();
        Line(string.Create(CultureInfo.InvariantCulture, $"  runtime native heaps (ClrMD, reserved ranges) {Kb(nativeLow)} → {Kb(nativeHigh)} KB   {PerSession(nativeLow, nativeHigh)} B/session"));

        Line(string.Create(CultureInfo.InvariantCulture, $"  top {top} types by live bytes per added session (count/session, bytes/session):"));
        var rows = low.Types.Keys.Union(high.Types.Keys)
            .Select(name =>
            {
                var a = low.Types.GetValueOrDefault(name);
                var b = high.Types.GetValueOrDefault(name);
                return (Name: name, Count: (b.Count - a.Count) / (double)added, Bytes: (b.Bytes - a.Bytes) / (double)added);
            })
            .OrderByDescending(r => Math.Abs(r.Bytes))
            .Take(top);
        foreach (var (name, count, bytes) in rows)
        {
            // The holder that gained the most of this type: usually names the owner (a socket, a session, a pool).
            var holder = high.Holders.Where(h => h.Key.Type == name)
                .Select(h => (h.Key.Holder, Added: h.Value - low.Holders.GetValueOrDefault(h.Key)))
                .OrderByDescending(h => h.Added)
                .FirstOrDefault();
            var held = holder.Holder is null ? string.Empty : "  ← " + Shorten(holder.Holder);
            Line(string.Create(CultureInfo.InvariantCulture, $"    {bytes,9:F0} B  {count,7:F2}  {Shorten(name)}{held}"));
        }

        // Every type, by the library that owns it: a session's cost the bridge can act on, and what the frameworks keep.
        Line("  by owner (the type's namespace, else that of the holder that gained most of it; bytes/session, objects/session):");
        var holderOf = high.Holders
            .Select(h => (h.Key.Type, h.Key.Holder, Added: h.Value - low.Holders.GetValueOrDefault(h.Key)))
            .GroupBy(h => h.Type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(h => h.Added).Holder, StringComparer.Ordinal);
        var owners = low.Types.Keys.Union(high.Types.Keys)
            .Select(name =>
            {
                var a = low.Types.GetValueOrDefault(name);
                var b = high.Types.GetValueOrDefault(name);
                var owner = Owner(name) ?? (holderOf.TryGetValue(name, out var h) ? Owner(h) : null) ?? "shared (tasks, token registrations, timers, ...)";
                return (Owner: owner, Count: (b.Count - a.Count) / (double)added, Bytes: (b.Bytes - a.Bytes) / (double)added);
            })
            .GroupBy(r => r.Owner)
            .Select(g => (Owner: g.Key, Count: g.Sum(r => r.Count), Bytes: g.Sum(r => r.Bytes)))
            .OrderByDescending(g => g.Bytes);
        foreach (var (owner, count, bytes) in owners)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"    {bytes,9:F0} B  {count,7:F1}  {owner}"));
        }

        return text.ToString();
    }

    /// <summary>Which library a type belongs to, from the namespaces in its full name (generic arguments included).</summary>
    private static string? Owner(string type) =>
        type.Contains("VoiceBridge.", StringComparison.Ordinal) || type.Contains("GeneratedRouteBuilderExtensions", StringComparison.Ordinal) ? "the bridge"
        : type.Contains("Microsoft.AspNetCore.", StringComparison.Ordinal) || type.Contains("Microsoft.Extensions.", StringComparison.Ordinal)
            || type.Contains("System.IO.Pipelines.", StringComparison.Ordinal) || type.Contains("Serilog", StringComparison.Ordinal)
            || type.StartsWith("System.Diagnostics.Activity", StringComparison.Ordinal) ? "ASP.NET Core, Kestrel, hosting and logging"
        : type.Contains("System.Net.WebSockets.", StringComparison.Ordinal) || type.Contains("System.Threading.AsyncMutex", StringComparison.Ordinal) ? "System.Net.WebSockets"
        : type.Contains("System.Net.", StringComparison.Ordinal) ? "System.Net.Sockets"
        : null;
}
