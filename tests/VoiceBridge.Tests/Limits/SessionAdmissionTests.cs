using Microsoft.Extensions.Options;
using VoiceBridge.Limits;

namespace VoiceBridge.Tests.Limits;

public sealed class SessionAdmissionTests
{
    private static SessionAdmission Admission(int total, int perClient) =>
        new(Options.Create(new LimitsOptions { MaxSessions = total, MaxSessionsPerClient = perClient }));

    [Fact]
    public void TryAdmit_PerClientCapReached_ClientFull_OtherClientsStillAdmitted()
    {
        var admission = Admission(10, 2);

        var a1 = admission.TryAdmit("a");
        var a2 = admission.TryAdmit("a");
        var a3 = admission.TryAdmit("a");
        var b1 = admission.TryAdmit("b");

        Assert.Equal(AdmissionVerdict.Admitted, a1.Verdict);
        Assert.Equal(AdmissionVerdict.Admitted, a2.Verdict);
        Assert.Equal(AdmissionVerdict.ClientFull, a3.Verdict);
        Assert.Equal(AdmissionVerdict.Admitted, b1.Verdict);
        Assert.Equal(3, admission.Total);
    }

    [Fact]
    public void TryAdmit_ProcessCapReached_ServerFull_UntilALeaseIsReleased()
    {
        var admission = Admission(2, 10);
        var first = admission.TryAdmit("a");
        admission.TryAdmit("b");

        Assert.Equal(AdmissionVerdict.ServerFull, admission.TryAdmit("c").Verdict);
        first.Lease!.Dispose();
        first.Lease.Dispose();

        Assert.Equal(1, admission.Total);
        Assert.Equal(AdmissionVerdict.Admitted, admission.TryAdmit("c").Verdict);
    }

    [Fact]
    public async Task TryAdmit_ManyThreads_NeverExceedsTheCaps()
    {
        var admission = Admission(50, 5);
        var leases = new System.Collections.Concurrent.ConcurrentBag<IDisposable>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var result = admission.TryAdmit($"client{i % 20}");
                if (result.Lease is not null)
                {
                    leases.Add(result.Lease);
                }
            }
        })));

        Assert.Equal(50, leases.Count);
        Assert.Equal(50, admission.Total);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }

        Assert.Equal(0, admission.Total);
    }
}
