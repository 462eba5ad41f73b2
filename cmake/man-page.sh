#!/bin/sh
# man-page.sh PROGRAM NAME OUT: writes OUT, the man page of PROGRAM, with help2man from the
# program's own --help and --version, so the page and --help cannot drift apart. Each
# subcommand's --help (found by walking the "Subcommands:" lists) becomes a section of its own.
# NAME is the one-line description of the NAME section.
set -eu
program=$1 name=$2 out=$3
include=$out.include

# Prints "sub", "sub sub2", ... for every subcommand path below the arguments given.
subcommands() {
  "$program" "$@" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }' |
    while read -r sub; do
      echo "$* $sub" | sed 's/^ //'
      subcommands "$@" "$sub"
    done
}

# roff: backslashes escaped, a line starting with . or ' made literal.
quote() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

{
  paths=$(subcommands)
  if [ -n "$paths" ]; then
    echo "[COMMANDS]"
    echo "$paths" | while read -r path; do
      # shellcheck disable=SC2086 # the path is words on purpose
      echo ".SS \"$(basename "$program") $path\""
      echo ".nf"
      "$program" $path --help | quote
      echo ".fi"
    done
  fi
  echo "[SEE ALSO]"
  echo "spated(1), spate(1); the README and docs/ of the source tree."
} > "$include"

help2man --no-info --no-discard-stderr --section=1 --name="$name" --include="$include" \
  --output="$out" "$program"
rm -f "$include"
