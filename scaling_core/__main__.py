from scaling_core.cli.main import run

run()
