from flotilla.cli import main

main()
