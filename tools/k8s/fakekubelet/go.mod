// The fake kubelet behind tests/k8s: standard library only, so it builds in
// seconds and offline, independently of the kube-apiserver module.
module tetragonsidekick/tools/k8s/fakekubelet

go 1.26.0
