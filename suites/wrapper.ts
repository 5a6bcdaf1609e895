/**
 * The bash library of the podman wrappers that stand for broken hosts (the mutation table, the
 * suites): one script per breakage, built here, unit-tested in test/wrapper.test.ts against a
 * fake podman that prints its arguments.
 *
 * The script puts podman's arguments in `args`, runs `always` for every command, `editRun` for
 * `podman run`, then execs the real podman with `args`. Helpers:
 * - `has ARG`: the command has this exact argument
 * - `add_after_run ARG...`: insert arguments right after `run`
 * - `add_after_verb VERB ARG...`: insert arguments after podman's verb when it is VERB (the first
 *   argument after the storage flags: `create`, not `network create`)
 * - `replace_arg OLD NEW`: replace an exact argument
 * - `drop_args REGEX`: drop every argument matching REGEX
 * - `replace_value OPT VALUE`: replace the value after option OPT
 * - `drop_with_value OPT`: drop option OPT and the value after it
 * - `strip_globals`: drop podman's leading storage flags (--root, --runroot, --tmpdir)
 * - `collect_globals`: `globals` = those leading flags (to ask the same storage), `sess` = the
 *   session id of the command's io.podproof.session label
 */
export const WRAPPER_LIBRARY = `has() { local a; for a in "\${args[@]}"; do [[ $a == "$1" ]] && return 0; done; return 1; }
add_after_run() { local i; for i in "\${!args[@]}"; do if [[ \${args[$i]} == run ]]; then args=("\${args[@]:0:$((i + 1))}" "$@" "\${args[@]:$((i + 1))}"); return; fi; done; }
add_after_verb() { local v=$1 i=0; shift; while [[ \${args[$i]} == --root || \${args[$i]} == --runroot || \${args[$i]} == --tmpdir ]]; do i=$((i + 2)); done; [[ \${args[$i]} == "$v" ]] && args=("\${args[@]:0:$((i + 1))}" "$@" "\${args[@]:$((i + 1))}"); return 0; }
replace_arg() { local i; for i in "\${!args[@]}"; do [[ \${args[$i]} == "$1" ]] && args[$i]=$2; done; }
drop_args() { local a kept=(); for a in "\${args[@]}"; do [[ $a =~ $1 ]] || kept+=("$a"); done; args=("\${kept[@]}"); }
replace_value() { local i; for i in "\${!args[@]}"; do [[ \${args[$i]} == "$1" ]] && args[$((i + 1))]=$2; done; }
drop_with_value() { local a kept=() skip=0; for a in "\${args[@]}"; do if ((skip)); then skip=0; continue; fi; [[ $a == "$1" ]] && { skip=1; continue; }; kept+=("$a"); done; args=("\${kept[@]}"); }
strip_globals() { while [[ \${args[0]} == --root || \${args[0]} == --runroot || \${args[0]} == --tmpdir ]]; do args=("\${args[@]:2}"); done; }
collect_globals() { local n; globals=(); while [[ \${args[\${#globals[@]}]} == --root || \${args[\${#globals[@]}]} == --runroot || \${args[\${#globals[@]}]} == --tmpdir ]]; do n=\${#globals[@]}; globals+=("\${args[$n]}" "\${args[$((n + 1))]}"); done; sess=$(printf '%s\\n' "\${args[@]}" | sed -n 's/^io.podproof.session=//p' | head -n 1); }`;

/** The whole wrapper script (pure): the library, `always`, `editRun` for `podman run`, then the real podman. */
export function wrapperScript(name: string, realPodman: string, editRun: string, always = ''): string {
  return `#!/bin/bash
# podproof test wrapper "${name}": simulates a broken host
args=("$@")
${WRAPPER_LIBRARY}
${always}
if has run; then
  :
${editRun}
fi
exec ${realPodman} "\${args[@]}"
`;
}
