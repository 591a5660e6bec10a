#!/usr/bin/env bash
# The halves of one timed transfer, for hyperfine; RUN is a folder for one tool's runs. In every
# argument `{port}` stands for the receiver's port.
#
#   pair.sh start RUN PORT OUT RECEIVER...  (hyperfine's --prepare) files the previous run away,
#       starts RECEIVER in the background under GNU time, storing into OUT, and returns once it
#       listens: on PORT, or (PORT `log`) on the port in its first "listening on N" line.
#   pair.sh send RUN WAIT IN SENDER...       (the timed command) runs SENDER under GNU time,
#       reading IN (`-`: nothing); with WAIT `wait` it then waits for the receiver to exit (a
#       sender that may leave before the receiver has written everything).
#   pair.sh finish RUN                       files the last run away.
#
# Filing a run away: the receiver is told to stop (SIGINT) unless it exited by itself, and a
# line is added to RUN/verified (the SHA-256 of OUT; of a folder, the SHA-256 of `sha256sum *`
# run in it, sockit's log left out; or `missing`), RUN/receiver and RUN/sender (GNU time's "%e %U %S %M": wall, user
# and system seconds, peak RSS in KiB), and OUT is removed.
set -u
export LC_ALL=C
cmd=$1 run=$2
shift 2
format='%e %U %S %M'

finish() {
  [ -f "$run/pid" ] || return 0
  local pid child out i=0
  pid=$(cat "$run/pid")
  # GNU time ignores SIGINT: the receiver itself is told to stop.
  for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do kill -INT "$child"; done
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 3000 ]; do i=$((i + 1)) && sleep 0.01; done
  kill -KILL "$pid" 2>/dev/null
  out=$(cat "$run/out")
  if [ -f "$out" ]; then
    sha256sum "$out" | cut -d' ' -f1
  elif [ -d "$out" ]; then
    # sockit receive's own log (sockit-log.csv) is not part of what was sent.
    (cd "$out" && for f in *; do [ "$f" = sockit-log.csv ] || sha256sum -- "$f"; done) |
      sha256sum | cut -d' ' -f1
  else
    echo missing
  fi >>"$run/verified"
  { tail -n 1 "$run/receiver.time" 2>/dev/null || echo "- - - -"; } >>"$run/receiver"
  rm -rf "$run/pid" "$out" "$run/receiver.time"
}

case $cmd in
start)
  port=$1 out=$2
  shift 2
  finish
  echo "$out" >"$run/out"
  : >"$run/receiver.log"
  /usr/bin/time -f "$format" -o "$run/receiver.time" "$@" </dev/null >"$run/receiver.log" 2>&1 &
  echo $! >"$run/pid"
  [ "$port" = - ] && exit 0
  for ((i = 0; i < 3000; i++)); do
    if [ "$port" = log ]; then
      found=$(grep -om1 'listening on [0-9]*' "$run/receiver.log" | cut -d' ' -f3)
      [ -n "$found" ] && echo "$found" >"$run/port" && exit 0
    elif ss -Hltn "sport = :$port" | grep -q .; then
      echo "$port" >"$run/port" && exit 0
    fi
    sleep 0.01
  done
  echo "pair.sh: the receiver did not listen: $(tail -n 3 "$run/receiver.log")" >&2
  exit 1
  ;;
send)
  wait=$1 in=$2
  shift 2
  port=$(cat "$run/port" 2>/dev/null)
  [ "$in" = - ] && in=/dev/null
  /usr/bin/time -f "$format" -o "$run/sender.time" "${@//\{port\}/$port}" <"$in" >/dev/null 2>>"$run/sender.log"
  code=$?
  tail -n 1 "$run/sender.time" >>"$run/sender"
  if [ "$wait" = wait ] && [ -f "$run/pid" ]; then tail --pid="$(cat "$run/pid")" -s 0.005 -f /dev/null; fi
  exit $code
  ;;
finish) finish ;;
*) echo "pair.sh: unknown command $cmd" >&2 && exit 2 ;;
esac
