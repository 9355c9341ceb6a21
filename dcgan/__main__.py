import gc
import sys

from .cli import main

# Importing torch leaves ~300,000 long-lived objects. Freezing them out of the cyclic garbage collector spares
# its passes over them while a command imports more and again at exit: about half a second of every command.
gc.freeze()
sys.exit(main())
