// EnvironmentFile= of kubelet.service, which starts `kubelet $KUBELET_ARGS` (systemd splits the
// unbraced variable at whitespace, so no single flag may contain whitespace).
export default `# Written by eks-node-agent; the next \`eks-node-agent init\` replaces it.
# Flags are sorted; spec.kubelet.flags follow last, in the order given, so they win.
{{#each variables}}
{{name}}={{envFileValue value}}
{{/each}}
`;
