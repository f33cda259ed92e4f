#!/usr/bin/env bash
# Commit messages: a subject of 72 characters or fewer, then a blank line before the body (the why).
#   scripts/check-commits.sh [RANGE]      the commits of RANGE (default: main..HEAD, this branch's
#                                          own); merge commits are left out
#   scripts/check-commits.sh --message F  one message file (what the commit-msg hook passes)
# Hook it up once per clone: git config core.hooksPath scripts/hooks
# Prints each offending commit; exits 1 when there is one. History older than the habit is not
# rewritten, so run it on a branch's range, not on all of main.
set -euo pipefail
max=72

# check SUBJECT SECOND-LINE WHAT: prints the problem and fails, or succeeds silently.
check() {
  local subject=$1 second=$2 what=$3
  if [ -z "$subject" ]; then echo "$what: empty subject"; return 1; fi
  if [ "${#subject}" -gt "$max" ]; then
    echo "$what: subject is ${#subject} characters (at most $max): $subject"; return 1
  fi
  if [ -n "$second" ]; then echo "$what: the subject needs a blank line after it"; return 1; fi
}

if [ "${1:-}" = --message ]; then
  file=${2:?usage: scripts/check-commits.sh --message FILE}
  # Git strips comment lines from the message after this hook runs: read it without them.
  mapfile -t lines < <(grep -v '^#' "$file" || true)
  check "${lines[0]:-}" "${lines[1]:-}" "commit message" || exit 1
  exit 0
fi

range=${1:-main..HEAD}
bad=0
n=0
while read -r sha; do
  n=$((n + 1))
  subject=$(git log -1 --format=%s "$sha")
  second=$(git log -1 --format=%B "$sha" | sed -n 2p)
  check "$subject" "$second" "$(git log -1 --format=%h "$sha")" || bad=$((bad + 1))
done < <(git rev-list --no-merges "$range")
echo "commit messages: $((n - bad)) of $n in $range fine"
[ "$bad" -eq 0 ]
