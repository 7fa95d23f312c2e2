# TAP helpers sourced by the shell test scripts: ok/not_ok print a numbered line and count
# failures in $fail; check WHAT CMD... runs CMD and reports it as WHAT; err_has NAME TEXT...
# checks that $tmp/NAME.err mentions each TEXT.
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
err_has() {
	local name=$1
	shift
	for t in "$@"; do
		if grep -qF -- "$t" "$tmp/$name.err"; then ok "$name: stderr mentions '$t'"
		else not_ok "$name: stderr lacks '$t'"; sed 's/^/# /' "$tmp/$name.err" | head -5; fi
	done
}
