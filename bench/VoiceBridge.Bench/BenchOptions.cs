using System.Globalization;

namespace VoiceBridge.Bench;

/// <summary>The command line: <c>--scenario active --sessions 200 --seconds 10 [--binary] [--json file]</c>.</summary>
internal sealed class BenchOptions
{
    public const string Usage =
        """
        usage: dotnet run -c Release --project bench/VoiceBridge.Bench -- [options]
          --scenario active|idle|connect|close|all|detached|relay   (default active; detached: only with --heap-census;
                              relay: round trips direct vs through the resume relay of a two-node fleet, see --rounds)
          --sessions N        browser sessions (default 100)
          --seconds S         measured seconds of the active scenario, after the warm-up (default 10)
          --warmup S          warm-up seconds excluded from the figures (default 10: the bridge JIT-compiles its hot path to tier 1 in the first seconds)
          --jit-settle S      then warm up on, at most S more seconds, until the bridge's JIT compiled at most 5 methods in 5 s (default 60; 0: off)
          --idle-seconds S    how long the idle scenario holds its sessions (default 5)
          --binary            send binary PCM frames (and ask for ?audio=binary) instead of text appends
          --bridge DIR        use an already published bridge in DIR (default: publish with scripts/publish.sh)
          --no-pin            do not pin the bridge and the load to separate cores
          --json FILE         also write the figures as JSON
          --heap-census       afterwards, count the bridge's heap (ClrMD) with 0, N and 2N sessions (idle, active or both)
          --census-top K      how many types the census lists (default 30)
          --settle-gc         idle scenario: a full GC in the bridge (through EventPipe) before each RSS reading
          --rounds R          relay: alternating direct / relayed phases of --seconds each (default 3)
          --bridge-env N=V    start the bridge with this environment variable too (repeatable; e.g. DOTNET_GCgen0size=0x200000)
        """;

    public string Scenario { get; private set; } = "active";

    public int Sessions { get; private set; } = 100;

    public double Seconds { get; private set; } = 10;

    public double WarmupSeconds { get; private set; } = 10;

    public double JitSettleSeconds { get; private set; } = 60;

    public double IdleSeconds { get; private set; } = 5;

    public bool Binary { get; private set; }

    public string? BridgeDirectory { get; private set; }

    public bool Pin { get; private set; } = true;

    public string? JsonPath { get; private set; }

    public bool HeapCensus { get; private set; }

    public int CensusTop { get; private set; } = 30;

    public bool SettleGc { get; private set; }

    public int Rounds { get; private set; } = 3;

    public List<KeyValuePair<string, string>> BridgeEnvironment { get; } = [];

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--scenario":
                    options.Scenario = Next();
                    if (options.Scenario is not ("active" or "idle" or "connect" or "close" or "all" or "detached" or "relay"))
                    {
                        throw new ArgumentException($"unknown scenario '{options.Scenario}'");
                    }

                    break;
                case "--sessions":
                    options.Sessions = int.Parse(Next(), CultureInfo.InvariantCulture);
                    if (options.Sessions < 1)
                    {
                        throw new ArgumentException("--sessions must be at least 1");
                    }

                    break;
                case "--seconds":
                    options.Seconds = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    options.WarmupSeconds = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--jit-settle":
                    options.JitSettleSeconds = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--idle-seconds":
                    options.IdleSeconds = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--binary":
                    options.Binary = true;
                    break;
                case "--bridge":
                    options.BridgeDirectory = Path.GetFullPath(Next());
                    break;
                case "--no-pin":
                    options.Pin = false;
                    break;
                case "--heap-census":
                    options.HeapCensus = true;
                    break;
                case "--census-top":
                    options.CensusTop = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--rounds":
                    options.Rounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    if (options.Rounds < 1)
                    {
                        throw new ArgumentException("--rounds must be at least 1");
                    }

                    break;
                case "--settle-gc":
                    options.SettleGc = true;
                    break;
                case "--bridge-env":
                    var pair = Next();
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        throw new ArgumentException("--bridge-env needs NAME=VALUE");
                    }

                    options.BridgeEnvironment.Add(new(pair[..equals], pair[(equals + 1)..]));
                    break;
                case "--json":
                    options.JsonPath = Path.GetFullPath(Next());
                    break;
                default:
                    throw new ArgumentException($"unknown option '{arg}'");
            }
        }

        if (options.Seconds <= 0 || options.WarmupSeconds < 0 || options.JitSettleSeconds < 0 || options.IdleSeconds < 0)
        {
            throw new ArgumentException("--seconds must be positive, --warmup, --jit-settle and --idle-seconds not negative");
        }

        return options;
    }
}
