# shellcheck shell=bash
# shellcheck disable=SC2034 # BENCH_STOP_RC, BENCH_SINK_* and BENCH_QUIET_NOTES are the caller's to read
# Helpers shared by the benchmark scripts; source it after setting BENCH_NAME (the script's
# name, for messages) and PYTHON (a python3). Written for scripts/bench-editions: the same
# functions are embedded in scripts/bench-newsletters and scripts/bench-widget, which could
# source this file instead.
#   bench_log TEXT...            "== TEXT"
#   bench_die TEXT...            "BENCH_NAME: TEXT" on stderr, exit 1
#   bench_stop_pid PID           TERM, up to 15 s, then KILL; the exit status in BENCH_STOP_RC
#   bench_free_port              a free TCP port on 127.0.0.1
#   bench_wait_http URL S PID    until URL answers 2xx (at most S seconds, while PID lives)
#   bench_proc_field PID FIELD   a /proc/PID/status field (VmRSS, VmHWM: kB)
#   bench_cpu_seconds PID        user + system CPU seconds of PID so far
#   bench_own_cpu_seconds        CPU seconds of this shell's reaped children (wrk, helpers)
#   bench_busy S                 percent of the machine's CPU busy over S seconds
#   bench_top_others             the processes above 5 % CPU, one line
#   bench_wait_quiet LABEL T     waits up to T seconds (0: not at all) for < 25 % busy over
#                                2 s; appends a line to the array BENCH_QUIET_NOTES
#   scripts/lib/bench_cpu.py     what other processes used meanwhile (snap, then others)
#   bench_start_sink DIR [SPOOL] starts scripts/lib/smtp_sink.py with its files in DIR
#                                (sink.port, sink.jsonl, sink.stats, sink.log); sets
#                                BENCH_SINK_PID and BENCH_SINK_PORT
BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_STOP_RC=0
BENCH_SINK_PID=""
BENCH_SINK_PORT=""
BENCH_QUIET_NOTES=()

bench_log() { printf '== %s\n' "$*"; }
bench_die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }

bench_stop_pid() { # pid: TERM, wait up to 15 s, then KILL; its exit status goes to BENCH_STOP_RC
  local pid=$1 i
  BENCH_STOP_RC=0
  [ -n "$pid" ] || return 0
  if kill -TERM "$pid" 2>/dev/null; then
    for i in $(seq 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "${BENCH_NAME:-bench}: pid $pid did not stop in 15 s on SIGTERM (loop $i), killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || BENCH_STOP_RC=$?
}

bench_free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_wait_http() { # url timeout_s pid
  local url=$1 deadline=$((SECONDS + $2)) pid=$3
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || bench_die "the server (pid $pid) exited before answering $url"
    [ "$SECONDS" -lt "$deadline" ] || bench_die "no answer from $url within $2 s"
    sleep 0.1
  done
}

bench_proc_field() { # pid field (from /proc/PID/status), in kB
  awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

bench_cpu_seconds() { # pid: user + system CPU seconds so far
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

bench_own_cpu_seconds() { # CPU seconds of this shell's finished children
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($14 + $15) / hz }' "/proc/$$/stat"
}

bench_busy() { # seconds: percent of CPU time busy over that time, all cores
  local a b
  a=$(head -n 1 /proc/stat)
  sleep "$1"
  b=$(head -n 1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, x); split(b, y)
    for (i = 2; i <= n; i++) { t += y[i] - x[i] }
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f\n", (t > 0) ? 100 * (1 - idle / t) : 0
  }'
}

bench_top_others() {
  ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s %s%%; ", $2, $1 }' | head -c 200
}

bench_wait_quiet() { # label timeout_s
  local busy deadline=$((SECONDS + $2))
  [ "$2" -gt 0 ] || { BENCH_QUIET_NOTES+=("$1: did not wait for a quiet machine"); return 0; }
  while :; do
    busy=$(bench_busy 2)
    if [ "$busy" -lt 25 ]; then
      bench_log "machine quiet: ${busy}% CPU busy over 2 s"
      BENCH_QUIET_NOTES+=("$1: quiet before the run (${busy}% CPU busy over 2 s)")
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      bench_log "machine NOT quiet after $2 s: ${busy}% CPU busy; measuring anyway"
      BENCH_QUIET_NOTES+=("$1: NOT quiet before the run (${busy}% CPU busy over 2 s): $(bench_top_others)")
      return 0
    fi
    bench_log "machine busy (${busy}% CPU over 2 s: $(bench_top_others)); waiting"
    sleep 10
  done
}

bench_start_sink() { # dir [spool file, default: none]
  local dir=$1 spool=${2:--} i
  : > "$dir/sink.jsonl"
  rm -f "$dir/sink.port"
  "$PYTHON" "$BENCH_LIB_DIR/smtp_sink.py" "$dir/sink.port" "$dir/sink.jsonl" "$spool" "$dir/sink.stats" \
    2> "$dir/sink.log" &
  BENCH_SINK_PID=$!
  for i in $(seq 100); do
    [ -s "$dir/sink.port" ] && break
    kill -0 "$BENCH_SINK_PID" 2>/dev/null || bench_die "the SMTP sink exited: $(tail -n 3 "$dir/sink.log")"
    sleep 0.1
  done
  [ -s "$dir/sink.port" ] || bench_die "the SMTP sink did not start within 10 s (loop $i)"
  BENCH_SINK_PORT=$(cat "$dir/sink.port")
}
