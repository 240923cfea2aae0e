# fish completion for seatctl; regenerate with
#   seatctl completion fish > completions/seatctl.fish
# Command tree:
#   seatctl --base-url --install-completion --json --no-color --profile --show-completion --timeout --token --trace --verbose --version -p -v
#   seatctl completion SHELL
#   seatctl config
#   seatctl config path
#   seatctl config set KEY VALUE --profile -p
#   seatctl config show --json
#   seatctl config unset KEY --profile -p
#   seatctl ping --json
complete --command seatctl --no-files --arguments "(env _SEATCTL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) seatctl)" --condition "env _SEATCTL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args _TYPER_COMPLETE_ARGS=(commandline -cp) seatctl"
