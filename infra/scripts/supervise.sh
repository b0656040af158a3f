#!/usr/bin/env bash
# Process supervision for `make demo` (sourced): start named processes, bring back any that
# exits, as compose's `restart: unless-stopped` does, and stop them all on request.
#
#   sup_start <name> <cmd...>   start it in the background, output appended to $SUP_LOG_DIR/<name>.log
#   sup_watch                   wait; restart whatever exits (1 s, doubling to 30 s while it keeps
#                               dying within 10 s of its start); returns once sup_stop_all ran
#   sup_stop_all                TERM everything, wait for it (call from the INT/TERM trap)
#
# Each restart is printed ("<time> <name> exited (code N), restarting in Ns"), so a kill -9 of a
# worker shows on the terminal while its session moves to another worker.

declare -A SUP_CMD=() SUP_PID=() SUP_STARTED=() SUP_DELAY=()
SUP_LOG_DIR=${SUP_LOG_DIR:-.}
SUP_STOPPING=0
SUP_QUICK_EXIT_S=10
SUP_MAX_DELAY_S=30

_sup_launch() {
  local name=$1
  # exec: the recorded pid is the program's own, so a TERM reaches it and a kill -9 is seen
  eval "exec ${SUP_CMD[$name]}" >>"$SUP_LOG_DIR/$name.log" 2>&1 &
  SUP_PID[$name]=$!
  SUP_STARTED[$name]=$SECONDS
}

sup_start() {
  local name=$1
  shift
  SUP_CMD[$name]=$(printf '%q ' "$@")
  SUP_DELAY[$name]=1
  _sup_launch "$name"
}

sup_pid() { echo "${SUP_PID[$1]}"; }

_sup_name_of() {
  local name
  for name in "${!SUP_PID[@]}"; do
    [[ ${SUP_PID[$name]} == "$1" ]] && { echo "$name"; return 0; }
  done
  return 0
}

sup_watch() {
  local pid name code delay
  while ((!SUP_STOPPING)); do
    pid="" code=0
    wait -n -p pid "${SUP_PID[@]}" || code=$?
    ((SUP_STOPPING)) && return 0
    [[ -n $pid ]] || continue # a signal woke the wait: its trap ran
    name=$(_sup_name_of "$pid")
    [[ -n $name ]] || continue
    if ((SECONDS - SUP_STARTED[$name] < SUP_QUICK_EXIT_S)); then
      delay=${SUP_DELAY[$name]}
      SUP_DELAY[$name]=$((delay * 2 > SUP_MAX_DELAY_S ? SUP_MAX_DELAY_S : delay * 2))
    else
      delay=1 SUP_DELAY[$name]=1
    fi
    echo "$(date +%T) $name exited (code $code), restarting in ${delay}s"
    sleep "$delay" &
    wait $! || true # a trap may interrupt the pause
    ((SUP_STOPPING)) && return 0
    _sup_launch "$name"
    echo "$(date +%T) $name is back (pid ${SUP_PID[$name]})"
  done
}

sup_stop_all() {
  SUP_STOPPING=1
  local pid
  for pid in "${SUP_PID[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${SUP_PID[@]}"; do wait "$pid" 2>/dev/null || true; done
}
