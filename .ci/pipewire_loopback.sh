#!/usr/bin/env bash
# A real PipeWire audio loopback with known impulse responses, the PipeWire
# twin of .ci/jack_loopback.sh: a headless PipeWire daemon (Debian `pipewire`,
# no session manager, links made explicitly) serving JACK clients through
# `pipewire-jack` and ALSA clients through `pipewire-alsa`.
#
#   bash .ci/pipewire_loopback.sh start    # start (idempotent), print what it did
#   bash .ci/pipewire_loopback.sh stop     # stop what `start` started (idempotent)
#   bash .ci/pipewire_loopback.sh status   # print the state; exit 0 when all runs
#   bash .ci/pipewire_loopback.sh env      # the environment a client needs (sh syntax)
#
# Layout (CH=8 channels, 48 kHz, quantum 256, one daemon, its own runtime
# folder so it never meets a desktop's PipeWire):
#   Dummy-Driver      : the clock (no sound card)
#   node "system" (Audio/Sink, null sink)          : JACK ports system:playback_N
#                                                     (physical), its monitor system:monitor_N
#   node "system" (Audio/Source/Virtual, null src) : JACK ports system:capture_N
#                                                     (physical), fed by system:input_N
#   jconvolver (a PipeWire JACK client): channels 1..4 monitor_i -> IR_i -> input_i
#                 (fixtures/jack/ir_ch<i>.wav, partition = quantum)
#   channel MIX=6   : input_6 hears the sum of jconvolver's outputs 1..4
#   other channels  : plain loopback monitor_N -> input_N on 5, 7, 8
# So a JACK client sees exactly the ports of the JACK loopback: system:playback_N
# -> system:capture_N with known IRs on 1..4, the mix on 6, plain on 5, 7, 8.
#
# A client reaches this daemon with PIPEWIRE_RUNTIME_DIR=$STATE/run, through the
# JACK API with LD_LIBRARY_PATH=<pipewire-0.3/jack> (what `pw-jack` sets), and
# through the ALSA API with ALSA_CONFIG_PATH=$STATE/asound.conf (the system's
# alsa.conf plus a `pipewire` PCM and `default` pointing at it; nothing under
# /etc is changed, so other ALSA users of the machine are untouched).
#
# Environment: PIPEWIRE_LOOPBACK_DIR (default /tmp/spatialcal-pipewire),
# PIPEWIRE_LOOPBACK_CHANNELS (8), PIPEWIRE_LOOPBACK_RATE (48000),
# PIPEWIRE_LOOPBACK_QUANTUM (256).
set -u

STATE=${PIPEWIRE_LOOPBACK_DIR:-/tmp/spatialcal-pipewire}
CH=${PIPEWIRE_LOOPBACK_CHANNELS:-8}
RATE=${PIPEWIRE_LOOPBACK_RATE:-48000}
QUANTUM=${PIPEWIRE_LOOPBACK_QUANTUM:-1024}
IR_CHANNELS=4
MIX=6
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IR_DIR="$ROOT/fixtures/jack"
RUN="$STATE/run"

jack_libdir() {
  local d
  for d in /usr/lib/*/pipewire-0.3/jack /usr/lib/pipewire-0.3/jack; do
    [ -e "$d/libjack.so.0" ] && { echo "$d"; return 0; }
  done
  return 1
}

say() { echo "pipewire_loopback: $*"; }

client_env() { # the environment of a PipeWire client of this daemon
  echo "PIPEWIRE_RUNTIME_DIR=$RUN"
  echo "LD_LIBRARY_PATH=$(jack_libdir)"
  echo "ALSA_CONFIG_PATH=$STATE/asound.conf"
}

pw_() { PIPEWIRE_RUNTIME_DIR="$RUN" "$@"; }
pwjack() { PIPEWIRE_RUNTIME_DIR="$RUN" LD_LIBRARY_PATH="$(jack_libdir)" JACK_NO_START_SERVER=1 "$@"; }

pid_alive() {
  local pid=$1 stat
  [ -n "$pid" ] || return 1
  stat=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [ -n "$stat" ] && [ "${stat#Z}" = "$stat" ]
}

read_pid() { [ -f "$STATE/$1.pid" ] && cat "$STATE/$1.pid"; }

stop_one() {
  local pid
  pid=$(read_pid "$1")
  if [ -n "$pid" ] && pid_alive "$pid"; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -9 "$pid" 2>/dev/null; sleep 0.2; fi
    say "stopped $1 (pid $pid)"
  fi
  rm -f "$STATE/$1.pid"
}

do_stop() {
  # the linker is a pipeline (pw-mon | awk | pw-cli) in its own session: stop the group
  local linker
  linker=$(read_pid alsa-linker)
  [ -n "$linker" ] && kill -- "-$linker" 2>/dev/null
  stop_one alsa-linker
  stop_one jconvolver
  stop_one pipewire
  rm -rf "$RUN"
  say "stopped"
}

write_daemon_config() {
  local conf="$STATE/pipewire.conf" positions="" i
  for i in $(seq "$CH"); do positions="$positions AUX$((i - 1))"; done
  cat >"$conf" <<EOF
# written by .ci/pipewire_loopback.sh
context.properties = {
    core.daemon = true
    core.name = pipewire-0
    default.clock.rate = $RATE
    default.clock.allowed-rates = [ $RATE ]
    default.clock.quantum = $QUANTUM
    default.clock.min-quantum = $QUANTUM
    default.clock.max-quantum = $QUANTUM
    default.clock.force-quantum = $QUANTUM
    settings.check-quantum = true
    settings.check-rate = true
}
context.spa-libs = {
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-spa-node-factory }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-access args = { } }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
]
context.objects = [
    { factory = metadata args = { metadata.name = default } }
    { factory = spa-node-factory
        args = {
            factory.name = support.node.driver
            node.name = Dummy-Driver
            node.group = pipewire.dummy
            priority.driver = 20000
        }
    }
    { factory = adapter
        args = {
            factory.name = support.null-audio-sink
            node.name = "system"
            node.description = "system"
            media.class = "Audio/Sink"
            audio.channels = $CH
            audio.rate = $RATE
            audio.position = [$positions ]
            node.group = pipewire.dummy
            adapter.auto-port-config = { mode = dsp monitor = true control = false position = unknown }
        }
    }
    { factory = adapter
        args = {
            factory.name = support.null-audio-sink
            node.name = "system"
            node.description = "system"
            media.class = "Audio/Source/Virtual"
            audio.channels = $CH
            audio.rate = $RATE
            audio.position = [$positions ]
            node.group = pipewire.dummy
            adapter.auto-port-config = { mode = dsp monitor = true control = false position = unknown }
        }
    }
]
EOF
  echo "$conf"
}

write_alsa_config() {
  # The system's ALSA configuration, then a PCM that talks to this daemon.
  cat >"$STATE/asound.conf" <<EOF
# written by .ci/pipewire_loopback.sh: ALSA_CONFIG_PATH for PipeWire's ALSA API
</usr/share/alsa/alsa.conf>
pcm.pipewire {
    type pipewire
    playback_node "-1"
    capture_node "-1"
    hint { show on description "PipeWire (spatialcal loopback)" }
}
ctl.pipewire { type pipewire }
pcm.!default { type pipewire }
ctl.!default { type pipewire }
EOF
}

write_jconvolver_config() {
  local conf="$STATE/jconvolver.conf" i
  {
    echo "# written by .ci/pipewire_loopback.sh: known IRs on channels 1..$IR_CHANNELS"
    echo "/cd $IR_DIR"
    echo "/convolver/new $IR_CHANNELS $IR_CHANNELS $QUANTUM 1024 1.0"
    for i in $(seq "$IR_CHANNELS"); do
      echo "/input/name $i in_$i system:monitor_$i"
      echo "/output/name $i out_$i system:input_$i"
    done
    for i in $(seq "$IR_CHANNELS"); do
      echo "/impulse/read $i $i 1.0 0 0 0 1 ir_ch$i.wav"
    done
  } >"$conf"
  echo "$conf"
}

has_port() { pwjack timeout -k 1 5 jack_lsp 2>/dev/null | grep -qx "$1"; }
connected() { pwjack timeout -k 1 5 jack_lsp -c "$1" 2>/dev/null | grep -qx "   $2"; }
link() { connected "$1" "$2" || pwjack timeout -k 1 5 jack_connect "$1" "$2"; }

wait_for_port() { # port seconds
  local t=0
  while [ "$t" -lt $(($2 * 10)) ]; do
    has_port "$1" && return 0
    sleep 0.1
    t=$((t + 1))
  done
  return 1
}

wire() {
  local i
  for i in $(seq "$CH"); do
    if [ "$i" -gt "$IR_CHANNELS" ] && [ "$i" -ne "$MIX" ]; then
      link "system:monitor_$i" "system:input_$i"
    fi
  done
  for i in $(seq "$IR_CHANNELS"); do
    link "system:monitor_$i" "jconvolver:in_$i"
    link "jconvolver:out_$i" "system:input_$i"
    link "jconvolver:out_$i" "system:input_$MIX"
  done
}

do_start() {
  mkdir -p "$STATE"
  if ! command -v pipewire >/dev/null || ! jack_libdir >/dev/null; then
    say "PipeWire is not installed: apt-get install pipewire pipewire-bin pipewire-jack pipewire-alsa"
    return 1
  fi
  local pw conv
  pw=$(read_pid pipewire)
  conv=$(read_pid jconvolver)
  if pid_alive "$pw" && pid_alive "$conv" && has_port "system:capture_$CH"; then
    wire
    say "already running (pipewire pid $pw, jconvolver pid $conv); links checked"
    return 0
  fi
  [ -n "$pw$conv" ] && do_stop >/dev/null
  for i in $(seq "$IR_CHANNELS"); do
    if [ ! -f "$IR_DIR/ir_ch$i.wav" ]; then
      say "missing $IR_DIR/ir_ch$i.wav: run deno run -A fixtures/jack/make_irs.ts"
      return 1
    fi
  done
  mkdir -p "$RUN"
  chmod 700 "$RUN"
  local conf
  conf=$(write_daemon_config)
  write_alsa_config
  PIPEWIRE_RUNTIME_DIR="$RUN" XDG_RUNTIME_DIR="$RUN" pipewire -c "$conf" \
    </dev/null >"$STATE/pipewire.log" 2>&1 &
  echo $! >"$STATE/pipewire.pid"
  if ! wait_for_port "system:capture_$CH" 10; then
    say "pipewire did not start; log: $STATE/pipewire.log"
    tail -n 5 "$STATE/pipewire.log"
    do_stop >/dev/null
    return 1
  fi
  say "started pipewire (pid $(read_pid pipewire); dummy driver, $CH-channel null sink and source named system, $RATE Hz, quantum $QUANTUM; runtime $RUN)"

  conf=$(write_jconvolver_config)
  # jconvolver once crashed while registering on a just-started JACK server: three attempts
  local attempt started=0
  for attempt in 1 2 3; do
    pwjack jconvolver "$conf" </dev/null >"$STATE/jconvolver.log" 2>&1 &
    echo $! >"$STATE/jconvolver.pid"
    if wait_for_port "jconvolver:out_$IR_CHANNELS" 10 && pid_alive "$(read_pid jconvolver)"; then
      started=1
      break
    fi
    say "jconvolver did not start (attempt $attempt of 3); log: $STATE/jconvolver.log"
    tail -n 5 "$STATE/jconvolver.log"
    stop_one jconvolver >/dev/null
    sleep 1
  done
  if [ "$started" -ne 1 ]; then
    do_stop >/dev/null
    return 1
  fi
  wire
  PIPEWIRE_RUNTIME_DIR="$RUN" setsid bash "$ROOT/.ci/pipewire_alsa_linker.sh" </dev/null \
    >"$STATE/alsa-linker.log" 2>&1 &
  echo $! >"$STATE/alsa-linker.pid"
  say "started jconvolver as a PipeWire JACK client (pid $(read_pid jconvolver)) with known IRs on channels 1..$IR_CHANNELS from $IR_DIR"
  say "ready: system:playback_N -> system:capture_N (N=1..$CH, not $MIX); system:playback_1..$IR_CHANNELS -> system:capture_$MIX"
  say "ALSA clients (pipewire-alsa, ALSA_CONFIG_PATH=$STATE/asound.conf) are linked by .ci/pipewire_alsa_linker.sh (pid $(read_pid alsa-linker)): FL -> playback_1, FR -> playback_8, capture_1 -> FL, capture_8 -> FR"
}

do_status() {
  local ok=0
  if pid_alive "$(read_pid pipewire)"; then say "pipewire running"; else say "pipewire not running"; ok=1; fi
  if pid_alive "$(read_pid jconvolver)"; then say "jconvolver running"; else say "jconvolver not running"; ok=1; fi
  return $ok
}

case "${1:-}" in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
env) client_env ;;
*)
  echo "usage: bash .ci/pipewire_loopback.sh start|stop|status|env" >&2
  exit 2
  ;;
esac
