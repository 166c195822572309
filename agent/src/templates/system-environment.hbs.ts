// A drop-in of systemd's manager configuration: DefaultEnvironment= is inherited by every unit the
// manager starts, which is what spec.instance.environment.default means (HTTP proxies above all).
export default `# Written by eks-node-agent from spec.instance.environment.default; the next \`eks-node-agent init\` replaces it.
[Manager]
DefaultEnvironment={{#each variables}}{{#if @index}} {{/if}}{{managerEnvironment name value}}{{/each}}
`;
