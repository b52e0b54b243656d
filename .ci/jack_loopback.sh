#!/usr/bin/env bash
# A real JACK audio loopback with known impulse responses, for testing the
# webaudio backend without a sound card (see ../shared/notes/audio-loopback.md).
#
#   bash .ci/jack_loopback.sh start    # start (idempotent), print what it did
#   bash .ci/jack_loopback.sh stop     # stop what `start` started (idempotent)
#   bash .ci/jack_loopback.sh status   # print the state; exit 0 when all runs
#
# Layout (CH=8 channels, 48 kHz, period 256, all --no-realtime, both servers
# synchronous (-S): a late client (jconvolver on a loaded machine) delays the
# cycle instead of leaving stale data on its ports only, which the loopback
# reference channel could not see):
#   jackd "loopup"  : dummy driver, the clock; `loopback` client with CH ports
#   jackd "default" : proxy driver; its system:playback_N / system:capture_N are
#                     the ports loop:loop:from_client_N / to_client_N upstream
#   jconvolver      : on "loopup", channels 1..4: from_client_i -> IR_i -> to_client_i
#                     (fixtures/jack/ir_ch<i>.wav, partition = period: no added latency)
#   channel MIX=6   : a "room mic": capture_6 hears the sum of jconvolver's
#                     outputs 1..4 (every driver through its known IR), not playback_6
#   other channels  : plain loopback (bit-identical, gain 1) on 5, 7, 8; channel
#                     CH is the rig's loopback (electrical reference) channel.
#
# Environment: JACK_LOOPBACK_DIR (state: pid files, logs, jconvolver config;
# default /tmp/spatialcal-jack), JACK_LOOPBACK_CHANNELS (8), JACK_LOOPBACK_RATE
# (48000), JACK_LOOPBACK_PERIOD (256).
set -u

STATE=${JACK_LOOPBACK_DIR:-/tmp/spatialcal-jack}
CH=${JACK_LOOPBACK_CHANNELS:-8}
RATE=${JACK_LOOPBACK_RATE:-48000}
PERIOD=${JACK_LOOPBACK_PERIOD:-256}
IR_CHANNELS=4
MIX=6
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IR_DIR="$ROOT/fixtures/jack"
export JACK_NO_START_SERVER=1

say() { echo "jack_loopback: $*"; }

# A stalled synchronous server (a client that stopped answering) hangs every
# client that talks to it: bound each JACK tool call.
jt() { timeout -k 1 "${JT_SECONDS:-5}" "$@"; }

# "running" / "not running" for a server name ("" = default). jt jack_wait -c
# always exits 0, so read its output.
server_running() {
  local out
  if [ -n "$1" ]; then out=$(jt jack_wait -s "$1" -c 2>/dev/null); else out=$(jt jack_wait -c 2>/dev/null); fi
  [ "$out" = "running" ]
}

pid_alive() { # a live, non-zombie process
  local pid=$1 stat
  [ -n "$pid" ] || return 1
  stat=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [ -n "$stat" ] && [ "${stat#Z}" = "$stat" ]
}

read_pid() { [ -f "$STATE/$1.pid" ] && cat "$STATE/$1.pid"; }

clean_shm() {
  if server_running loopup || server_running ""; then return; fi
  local files
  files=$(ls -d /dev/shm/jack_* /dev/shm/jack-* 2>/dev/null)
  if [ -n "$files" ]; then
    rm -rf /dev/shm/jack_* /dev/shm/jack-* 2>/dev/null
    say "removed stale JACK files from /dev/shm: $(echo $files | tr '\n' ' ')"
  fi
}

stop_one() { # name
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
  stop_one jconvolver
  stop_one jackd-default
  stop_one jackd-loopup
  for _ in $(seq 50); do
    if ! server_running loopup && ! server_running ""; then break; fi
    sleep 0.1
  done
  clean_shm
  if server_running loopup || server_running ""; then
    say "a JACK server not started by this script is still running (see jack_lsp)"
    return 1
  fi
  say "stopped"
}

connected() { # server src dst: is src connected to dst
  jt jack_lsp -s "$1" -c "$2" 2>/dev/null | grep -qx "   $3"
}

wire_mix() {
  local i
  for i in $(seq "$IR_CHANNELS"); do
    connected loopup "jconvolver:out_$i" "loop:loop:to_client_$MIX" ||
      jt jack_connect -s loopup "jconvolver:out_$i" "loop:loop:to_client_$MIX"
  done
}

wire_loopback() {
  local i
  for i in $(seq "$CH"); do
    if [ "$i" -gt "$IR_CHANNELS" ] && [ "$i" -ne "$MIX" ]; then
      connected loopup "loop:loop:from_client_$i" "loopback:playback_$i" ||
        jt jack_connect -s loopup "loop:loop:from_client_$i" "loopback:playback_$i"
      connected loopup "loopback:capture_$i" "loop:loop:to_client_$i" ||
        jt jack_connect -s loopup "loopback:capture_$i" "loop:loop:to_client_$i"
    fi
  done
}

write_jconvolver_config() {
  local conf="$STATE/jconvolver.conf" i
  {
    echo "# written by .ci/jack_loopback.sh: known IRs on channels 1..$IR_CHANNELS"
    echo "/cd $IR_DIR"
    echo "/convolver/new $IR_CHANNELS $IR_CHANNELS $PERIOD 1024 1.0"
    for i in $(seq "$IR_CHANNELS"); do
      echo "/input/name $i in_$i loop:loop:from_client_$i"
      echo "/output/name $i out_$i loop:loop:to_client_$i"
    done
    for i in $(seq "$IR_CHANNELS"); do
      echo "/impulse/read $i $i 1.0 0 0 0 1 ir_ch$i.wav"
    done
  } >"$conf"
  echo "$conf"
}

wait_for_port() { # server port seconds
  local t=0
  while [ "$t" -lt $(($3 * 10)) ]; do
    if [ -n "$1" ]; then
      jt jack_lsp -s "$1" 2>/dev/null | grep -qx "$2" && return 0
    else
      jt jack_lsp 2>/dev/null | grep -qx "$2" && return 0
    fi
    sleep 0.1
    t=$((t + 1))
  done
  return 1
}

# Does audio flow through the loop? A metronome client on the default server plays clicks into
# system:playback_1 (jconvolver's IR 1, heard by the room mic on capture MIX) and
# system:playback_CH (plain loopback); jack_rec records capture MIX and capture CH for 1.5 s.
# Both must carry signal. Prints the two peak levels.
check_flow() {
  local rec="$STATE/flow.wav" metro pid peaks
  rm -f "$rec"
  jack_metro -n spatialcal_flow -b 300 -f 1000 -D 40 -A 0.5 </dev/null >"$STATE/flow_metro.log" 2>&1 &
  pid=$!
  metro=spatialcal_flow:300_bpm
  if ! wait_for_port "" "$metro" 5; then
    kill "$pid" 2>/dev/null
    say "flow check: jack_metro did not start"
    return 1
  fi
  jt jack_connect "$metro" system:playback_1 2>/dev/null
  jt jack_connect "$metro" "system:playback_$CH" 2>/dev/null
  JT_SECONDS=10 jt jack_rec -f "$rec" -d 1.5 -b 16 "system:capture_$MIX" "system:capture_$CH" </dev/null \
    >"$STATE/flow_rec.log" 2>&1
  kill "$pid" 2>/dev/null
  for _ in $(seq 20); do pid_alive "$pid" || break; sleep 0.1; done
  pid_alive "$pid" && kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ ! -s "$rec" ]; then
    say "flow check: jack_rec wrote nothing (log: $STATE/flow_rec.log)"
    return 1
  fi
  peaks=""
  local ch peak
  for ch in 1 2; do
    peak=$(sox "$rec" -n remix "$ch" stat 2>&1 | awk '/Maximum amplitude/ {print $3}')
    peaks="$peaks ${peak:-?}"
    if ! awk -v p="${peak:-0}" 'BEGIN { exit !(p > 0.01) }'; then
      say "flow check: no signal on system:capture_$([ "$ch" = 1 ] && echo "$MIX" || echo "$CH") (peaks:$peaks)"
      return 1
    fi
  done
  say "flow check: clicks heard on capture_$MIX and capture_$CH (peaks:$peaks)"
}

do_start() {
  mkdir -p "$STATE"
  local up def conv
  up=$(read_pid jackd-loopup)
  def=$(read_pid jackd-default)
  conv=$(read_pid jconvolver)
  if pid_alive "$up" && pid_alive "$def" && pid_alive "$conv" && server_running loopup && server_running ""; then
    wire_loopback
    wire_mix
    if check_flow; then
      say "already running (loopup pid $up, default pid $def, jconvolver pid $conv); connections and flow checked"
      return 0
    fi
    say "running but silent: restarting"
    do_stop >/dev/null
  elif [ -n "$up$def$conv" ]; then
    say "partly running (pid files: ${up:-none} ${def:-none} ${conv:-none}): restarting"
    do_stop >/dev/null
  fi
  # a server that is shutting down (or one a crashed client started) may take a moment
  for _ in $(seq 50); do
    if ! server_running loopup && ! server_running ""; then break; fi
    sleep 0.1
  done
  if server_running loopup || server_running ""; then
    say "a JACK server not started by this script is running; stop it first (jack_lsp lists its ports)"
    return 1
  fi
  clean_shm
  # keep the last run's logs: a test that finds the loop down prints them
  mkdir -p "$STATE/previous"
  cp "$STATE"/*.log "$STATE/previous/" 2>/dev/null
  for i in $(seq "$IR_CHANNELS"); do
    if [ ! -f "$IR_DIR/ir_ch$i.wav" ]; then
      say "missing $IR_DIR/ir_ch$i.wav: run deno run -A fixtures/jack/make_irs.ts"
      return 1
    fi
  done

  jackd -S -n loopup -L "$CH" --no-realtime -d dummy -r "$RATE" -p "$PERIOD" -C 0 -P 0 \
    </dev/null >"$STATE/jackd-loopup.log" 2>&1 &
  echo $! >"$STATE/jackd-loopup.pid"
  if ! JT_SECONDS=12 jt jack_wait -s loopup -w -t 10 >/dev/null 2>&1 || ! server_running loopup; then
    say "jackd loopup did not start; log: $STATE/jackd-loopup.log"
    tail -n 5 "$STATE/jackd-loopup.log"
    do_stop >/dev/null
    return 1
  fi
  say "started jackd loopup (dummy, $CH loopback ports, $RATE Hz, period $PERIOD; pid $(read_pid jackd-loopup))"

  jackd -S --no-realtime -d proxy -u loopup -n loop -C "$CH" -P "$CH" \
    </dev/null >"$STATE/jackd-default.log" 2>&1 &
  echo $! >"$STATE/jackd-default.pid"
  if ! JT_SECONDS=12 jt jack_wait -w -t 10 >/dev/null 2>&1 || ! server_running "" ||
    ! wait_for_port loopup "loop:loop:to_client_$CH" 10; then
    say "default jackd (proxy) did not start; log: $STATE/jackd-default.log"
    tail -n 5 "$STATE/jackd-default.log"
    do_stop >/dev/null
    return 1
  fi
  say "started default jackd (proxy of loopup, $CH channels each way; pid $(read_pid jackd-default))"

  wire_loopback
  say "wired plain loopback on channels $((IR_CHANNELS + 1))..$CH except $MIX"

  local conf attempt started=0
  conf=$(write_jconvolver_config)
  # jconvolver sometimes crashes while it registers on a server that has just started (seen once
  # in CI as a segmentation fault): try it three times before giving up.
  for attempt in 1 2 3; do
    jconvolver -s loopup "$conf" </dev/null >"$STATE/jconvolver.log" 2>&1 &
    echo $! >"$STATE/jconvolver.pid"
    if wait_for_port loopup "jconvolver:out_$IR_CHANNELS" 10 && pid_alive "$(read_pid jconvolver)"; then
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
  # jconvolver connects its ports itself (config /input/name, /output/name);
  # wait until the last output is connected.
  for _ in $(seq 50); do
    connected loopup "jconvolver:out_$IR_CHANNELS" "loop:loop:to_client_$IR_CHANNELS" && break
    sleep 0.1
  done
  say "started jconvolver (pid $(read_pid jconvolver)) with known IRs on channels 1..$IR_CHANNELS from $IR_DIR; config $conf"
  wire_mix
  say "wired mix channel $MIX: capture_$MIX = sum of the known-IR outputs 1..$IR_CHANNELS"
  if ! check_flow; then
    do_stop >/dev/null
    return 1
  fi
  say "ready: system:playback_N -> system:capture_N (N=1..$CH, not $MIX); system:playback_1..$IR_CHANNELS -> system:capture_$MIX"
}

do_status() {
  local ok=0
  if server_running loopup; then say "loopup server running"; else say "loopup server not running"; ok=1; fi
  if server_running ""; then say "default server running"; else say "default server not running"; ok=1; fi
  if pid_alive "$(read_pid jconvolver)"; then say "jconvolver running"; else say "jconvolver not running"; ok=1; fi
  return $ok
}

case "${1:-}" in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
*)
  echo "usage: bash .ci/jack_loopback.sh start|stop|status" >&2
  exit 2
  ;;
esac
