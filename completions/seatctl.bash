# bash completion for seatctl; regenerate with
#   seatctl completion bash > completions/seatctl.bash
# Command tree:
#   seatctl --base-url --install-completion --json --no-color --profile --show-completion --timeout --token --trace --verbose --version -p -v
#   seatctl book EVENT --dry-run --force --json --no-long-poll --no-retry-contended --no-wait --quantity --resume --seat --seats --timeout --yes -n -s -y
#   seatctl bookings --format --json --quiet --status --upcoming -q
#   seatctl cancel BOOKING --json --yes -y
#   seatctl checkin BOOKING --json
#   seatctl completion SHELL
#   seatctl config
#   seatctl config get KEY --json --profile -p
#   seatctl config path --json
#   seatctl config profiles --format --json --profile --quiet -p -q
#   seatctl config set KEY VALUE --json --profile -p
#   seatctl config show --format --json --profile -p
#   seatctl config unset KEY --json --profile -p
#   seatctl config use NAME --json
#   seatctl demo --json
#   seatctl doctor URL --client-expiry --fail-on --h2c --http1 --http2 --insecure --json --junit --lb-idle-timeout --max-wait --origin --path --quick --report
#   seatctl events --format --json --limit --page --quiet --search --upcoming -q -s
#   seatctl help COMMAND SUBCOMMAND
#   seatctl jobs --format --json --limit --no-refresh --offline --pending --quiet --refresh -n -q
#   seatctl login --email --json --password-stdin
#   seatctl logout --json
#   seatctl monitor URL COMMAND --connections --duration --idle-close --insecure --instance-header --json --junit --max-errors --max-gap --metrics --path --post --rate --report --settle --slow
#   seatctl ping --json
#   seatctl seats EVENT --available --format --json --quiet -a -q
#   seatctl serve --advertise-keep-alive --db --degrade --demo-user --dialect --drain --fault --fault-path --headers-timeout --host --keep-alive-header --keep-alive-timeout --log-json --max-requests-per-connection --port --process-delay --quiet --rate-limit --ready-delay --ready-file --request-timeout --seed --server-header --shutdown --socket-timeout --timeouts --workers -q
#   seatctl smoke URL --book-test --json --junit --max-latency-ms --max-time --min-idle --report --seat --strict
#   seatctl ticket BOOKING FILE --download --force --json --output -d -f -o
#   seatctl verify BOOKING --json
#   seatctl watch JOB_ID --json --last --no-long-poll --timeout
#   seatctl whoami --json
_seatctl_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _SEATCTL_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _seatctl_completion seatctl
