from swath.cli.main import main

raise SystemExit(main())
