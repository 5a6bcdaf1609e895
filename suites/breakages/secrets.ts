/** The breakages of the secrets claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { realPodman } from '../helpers.js';
import type { Mutant } from './kit.js';

export const secretsBreakages: Mutant[] = [
  // secrets.not-committed
  {
    name: 'secret-env-in-config',
    claim: 'secrets.not-committed',
    how: "podman passes an env secret as a plain -e variable (the container's config keeps it)",
    kind: 'wrapper',
    wrapper: () => ({
      editRun: `collect_globals
root=$(${realPodman} "\${globals[@]}" info --format '{{.Store.GraphRoot}}')
for i in "\${!args[@]}"; do
  if [[ \${args[$i]} == --secret && \${args[$((i + 1))]} == *,type=env,target=* ]]; then
    spec=\${args[$((i + 1))]}; name=\${spec%%,*}; var=\${spec##*target=}
    id=$(${realPodman} "\${globals[@]}" secret inspect --format '{{.ID}}' "$name")
    value=$(sed -n "s/.*\\"$id\\":\\"\\([^\\"]*\\)\\".*/\\1/p" "$root/secrets/filedriver/secretsdata.json" | base64 -d)
    args[$i]=-e; args[$((i + 1))]="$var=$value"
  fi
done`,
    }),
  },
  {
    name: 'secret-file-in-layer',
    claim: 'secrets.not-committed',
    how: 'podman mounts no secret file: the container writes the value to the path itself, into its layer',
    kind: 'wrapper',
    wrapper: () => ({
      editRun: `kept=(); skip=0; for i in "\${!args[@]}"; do
  if ((skip)); then skip=0; continue; fi
  if [[ \${args[$i]} == --secret && \${args[$((i + 1))]} != *,* ]]; then skip=1; continue; fi
  kept+=("\${args[$i]}")
done; args=("\${kept[@]}")`,
    }),
  },
];
