using Microsoft.Win32.SafeHandles;

namespace FeedbackStream.EmbeddedKafka.Native;

/// <summary>
/// Owns a librdkafka mock cluster and the rd_kafka_t handle it was created on. Releasing destroys
/// the cluster first (closing its listeners) and the handle second, the order librdkafka requires.
/// </summary>
internal sealed class MockClusterSafeHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private nint _rk;

    public MockClusterSafeHandle()
        : base(ownsHandle: true)
    {
    }

    internal static MockClusterSafeHandle Create(nint rk, nint mcluster)
    {
        var handle = new MockClusterSafeHandle { _rk = rk };
        handle.SetHandle(mcluster);
        return handle;
    }

    protected override bool ReleaseHandle()
    {
        LibRdKafka.MockClusterDestroy(handle);
        if (_rk != 0)
        {
            LibRdKafka.Destroy(_rk);
            _rk = 0;
        }

        return true;
    }
}
