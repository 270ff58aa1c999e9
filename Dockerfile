# syntax=docker/dockerfile:1
# VoiceBridge: docker build -t voicebridge . && docker run -p 8080:8080 -e OPENAI_API_KEY=... voicebridge

# ---- build -----------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore from the project and package files alone, so this layer is reused until a dependency changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/VoiceBridge/VoiceBridge.csproj src/VoiceBridge/
COPY src/VoiceBridge.Simulator/VoiceBridge.Simulator.csproj src/VoiceBridge.Simulator/
COPY scripts/publish.sh scripts/
RUN bash scripts/publish.sh --restore

# .editorconfig takes part in the build (analyzers, warnings as errors); appsettings.json travels with the binary.
COPY .editorconfig appsettings.json ./
COPY src/ src/
# The same script CI's publish smoke runs (scripts/publish-smoke.sh): one publish command, in one place.
RUN bash scripts/publish.sh /app/publish

# ---- runtime ---------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
# DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS: socket completions run on the event thread instead of a thread-pool
# hop (and, through VoiceBridge:WebSocket:InlineScheduling left unset, Kestrel runs its continuations there too),
# so each frame costs less CPU and waits less; measured in bench/README.md.
# DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION: a message buffer is rented by one socket's receive
# loop and returned by the other socket's send loop on another thread; the shared pool's default per-core cache
# overflows in bursts and a miss allocates a new buffer, so 256 keeps steady-state forwarding allocation-free
# (measured in bench/README.md).
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 \
    DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=256
EXPOSE 8080
COPY --from=build /app/publish .

# The image's built-in non-root user.
USER $APP_UID

# No curl in the runtime image: the bridge probes its own /healthz on the port from ASPNETCORE_HTTP_PORTS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["dotnet", "VoiceBridge.dll", "--health-probe"]

ENTRYPOINT ["dotnet", "VoiceBridge.dll"]
