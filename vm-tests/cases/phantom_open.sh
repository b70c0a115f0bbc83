# The Phantom attack: opens whose path another thread rewrites meanwhile.
# The alerts must name the file each open returned (run.py compares them
# with what the program saw by inode).
set -eu
echo harmless >/tmp/harmls
/io/phantom_open 4000 >/io/out/phantom.txt
