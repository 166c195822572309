// A drop-in of {{unit}} carrying spec.instance.environment.<unit>, one Environment= per variable.
export default `# Written by eks-node-agent from spec.instance.environment; the next \`eks-node-agent init\` replaces it.
{{#if note}}
# {{note}}
{{/if}}
[Service]
{{#each variables}}
Environment={{unitEnvironment name value}}
{{/each}}
`;
