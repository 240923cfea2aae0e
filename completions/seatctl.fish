# fish completion for seatctl; regenerate with
#   seatctl completion fish > completions/seatctl.fish
# Command tree:
#   seatctl --base-url --install-completion --json --no-color --profile --show-completion --timeout --token --trace --verbose --version -p -v
#   seatctl completion SHELL
#   seatctl config
#   seatctl config path --json
#   seatctl config set KEY VALUE --json --profile -p
#   seatctl config show --json
#   seatctl config unset KEY --json --profile -p
#   seatctl ping --json
#   seatctl serve --advertise-keep-alive --db --degrade --demo-user --fault --fault-path --headers-timeout --host --keep-alive-header --keep-alive-timeout --log-json --max-requests-per-connection --port --process-delay --quiet --rate-limit --ready-file --request-timeout --seed --timeouts --workers -q
complete --command seatctl --no-files --arguments "(env _SEATCTL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) seatctl)" --condition "env _SEATCTL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args _TYPER_COMPLETE_ARGS=(commandline -cp) seatctl"
