namespace VoiceBridge.Realtime;

/// <summary>The browser events the bridge treats specially; everything else is <see cref="Other"/>.</summary>
internal enum ClientEventKind : byte
{
    /// <summary>Any other type, or an invalid frame.</summary>
    Other,

    /// <summary><c>session.update</c>: goes through the session policy.</summary>
    SessionUpdate,

    /// <summary><c>input_audio_buffer.append</c>: its decoded audio counts against the rate bucket.</summary>
    InputAudioBufferAppend,

    /// <summary><c>conversation.item.create</c>: refused when <c>item.role</c> is <c>system</c> (unless allowed).</summary>
    ConversationItemCreate,
}
