// A systemd-resolved drop-in carrying spec.instance.network.
export default `# Written by eks-node-agent from spec.instance.network; the next \`eks-node-agent init\` replaces it.
[Resolve]
{{#if nameservers}}
DNS={{join nameservers}}
{{/if}}
{{#if domains}}
Domains={{join domains}}
{{/if}}
`;
