// The baseline every benchmark figure is compared with: the smallest program, built into a
// single executable exactly like eks-node-agent (same Node, same strip, same injection).
process.stdout.write('hello\n');
