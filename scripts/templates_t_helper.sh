#!/bin/sh
# Rewrites templates from the old text form to the `t` helper (issue 17, item 5):
#   {{chrome.t.key}} / {{@root.chrome.t.key}} / {{t.key}} (in partials)  ->  {{t "key"}}
#   any other use, e.g. a partial's hash argument  text=chrome.t.key      ->  text=(t "key")
#   a partial's `t=chrome.t` argument (the whole text map)                 ->  removed
# Mechanical and re-runnable: a template already in the new form is left as it is.
# Usage: scripts/templates_t_helper.sh [FILE...]   (default: every templates/**/*.hbs)
# `cargo test --lib templates` fails while any template still uses the old form.
set -eu
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
    set -- $(find templates -name '*.hbs' | sort)
fi
K='[A-Za-z0-9_]+'
sed -E -i \
    -e "s/\{\{(\{?)[[:space:]]*(@root\.)?chrome\.t\.($K)[[:space:]]*(\}?)\}\}/{{\1t \"\3\"\4}}/g" \
    -e "s/\{\{(\{?)[[:space:]]*t\.($K)[[:space:]]*(\}?)\}\}/{{\1t \"\2\"\3}}/g" \
    -e "s/[[:space:]]+t=(@root\.)?chrome\.t([^.A-Za-z0-9_])/\2/g" \
    -e "s/(@root\.)?chrome\.t\.($K)/(t \"\2\")/g" \
    -e "s/([[:space:]=(])t\.($K)/\1(t \"\2\")/g" \
    "$@"
