from newswire.cli import main

main()
