namespace VoiceBridge.Security;

/// <summary>What <see cref="SessionUpdatePolicy.Apply"/> decided about a browser <c>session.update</c>.</summary>
internal enum SessionUpdateOutcome
{
    /// <summary>No field was removed: forward the original frame, byte for byte.</summary>
    Unchanged,

    /// <summary>Some fields were removed and some remain: forward the rewritten frame and report the removed fields.</summary>
    Rewritten,

    /// <summary>Fields were removed and no leaf field but <c>type</c> remains: forward nothing, report the removed fields.</summary>
    NothingLeft,

    /// <summary>The frame is not a valid client event (<see cref="Realtime.ClientEventInspector"/>): forward nothing.</summary>
    Invalid,
}
