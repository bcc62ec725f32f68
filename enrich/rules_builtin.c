/* rules_builtin.c - the rules every tetra-enrich runs, in the rules-file
 * format of rules.c.
 *
 * Written as rules-file lines rather than C structs so users can read them
 * (tetra-enrich --list-rules prints them), copy one into their own file to
 * change it, and so the parser is exercised by what ships.  Regexes use
 * bracket expressions ([.] rather than a backslash) to stay readable inside
 * C strings.  Order matters only for "final" rules: quiet cases (exec
 * probes, kernel-requested module loads) come first. */
#include <stddef.h>
#include "rules_builtin.h"

#define SHELL "/(ba|da|z|k|a|tc|c|mk|fi)?sh$"
#define NC "/(nc|ncat|netcat|nc[.]traditional|nc[.]openbsd)$"
#define INTERP "/(python[0-9.]*|perl|ruby|node|php[0-9.]*|lua[0-9.]*)$"
#define EXEC "kind=process_exec "
#define INCT "in_container=yes "
#define NOEXIT "kind!=process_exit "

const char *const rules_builtin[] = {
    /* --- quiet cases first ------------------------------------------------- */
    "name=exec-probe exec_probe=yes severity=info final confidence=0.9"
    " summary=\"Kubernetes exec probe ran ${binary} in ${namespace}/${workload}; expected health checking.\"",
    "name=module-autoload " NOEXIT "binary~=/modprobe$ parent=<kernel> severity=low final"
    " technique=T1547.006 technique_name=\"Kernel Modules and Extensions\" tactic=persistence"
    " summary=\"The kernel asked modprobe to load a module (${args}); usually automatic.\"",
    "name=container-start " EXEC INCT "container_init=yes severity=info confidence=0.8"
    " summary=\"Container ${container} of ${namespace}/${workload} started ${binary}.\"",

    /* --- execution: shells and interpreters ---------------------------------- */
    "name=shell-in-container " EXEC INCT "exec_probe=no container_init=no flags!~procFS"
    " binary~=\"" SHELL "\" severity=medium"
    " technique=T1059.004 technique_name=\"Unix Shell\" tactic=execution"
    " summary=\"Shell ${binary} started inside container ${container} of ${namespace}/${workload} (parent ${parent}).\""
    " next=\"Find who opened it: Kubernetes audit log for pods/exec on this pod\""
    " next=\"List the commands it ran: process_exec events whose parent is this shell\"",
    "name=interpreter-inline-code " EXEC INCT "exec_probe=no binary~=\"" INTERP "\""
    " args~=\"(^| )-[a-zA-Z]*[ce]( |$)\" severity=medium"
    " technique=T1059 technique_name=\"Command and Scripting Interpreter\" tactic=execution"
    " summary=\"Interpreter ${binary} ran inline code inside ${namespace}/${workload}.\""
    " next=\"Read the inline code in the arguments and check what it connects to or writes\"",
    "name=webserver-spawned-shell " EXEC "binary~=\"" SHELL "\""
    " parent~=\"/(nginx|httpd|apache2|php-fpm[0-9.]*|java|tomcat|node|uwsgi|gunicorn|caddy|lighttpd)$\""
    " severity=high technique=T1505.003 technique_name=\"Web Shell\" tactic=persistence"
    " summary=\"Web server process ${parent} spawned shell ${binary} in ${namespace}/${workload}.\""
    " next=\"Check the web server's access log around this time for the request that caused it\"",

    /* --- reverse shells --------------------------------------------------------- */
    "name=reverse-shell-dev-tcp " EXEC "args~=\"/dev/(tcp|udp)/\" severity=critical confidence=0.9"
    " technique=T1059.004 technique_name=\"Unix Shell\" tactic=execution"
    " summary=\"Reverse shell: ${binary} redirects a shell through /dev/tcp in ${namespace}/${workload}.\""
    " next=\"Isolate the pod and capture its network connections\""
    " next=\"Find the remote address in the arguments and block it\"",
    "name=reverse-shell-netcat-exec " EXEC "binary~=\"" NC "\""
    " args~=\"(^| )(-[a-zA-Z]*[ec]|--exec|--sh-exec|--lua-exec)( |$)\" severity=critical confidence=0.9"
    " technique=T1059.004 technique_name=\"Unix Shell\" tactic=execution"
    " summary=\"Reverse or bind shell: ${binary} runs a program for a network peer in ${namespace}/${workload}.\""
    " next=\"Isolate the pod and capture its network connections\"",
    "name=reverse-shell-fifo " EXEC "args~=\"(mkfifo|mknod).*(nc|ncat|netcat|telnet|openssl)\""
    " severity=critical confidence=0.9 technique=T1059.004 technique_name=\"Unix Shell\" tactic=execution"
    " summary=\"Reverse shell built from a named pipe and a network tool in ${namespace}/${workload}.\"",
    "name=reverse-shell-interpreter " EXEC "binary~=\"" INTERP "\""
    " args~=\"socket|TCPSocket|fsockopen|pty[.]spawn|Net::|new-object net[.]sockets\""
    " severity=critical confidence=0.85 technique=T1059 technique_name=\"Command and Scripting Interpreter\""
    " tactic=execution summary=\"Scripting-language socket code (likely a reverse shell) ran via ${binary} in ${namespace}/${workload}.\""
    " next=\"Isolate the pod and capture its network connections\"",
    "name=reverse-shell-socat " EXEC "binary~=/socat$ args~=\"(exec|system):\" severity=critical"
    " technique=T1059.004 technique_name=\"Unix Shell\" tactic=execution"
    " summary=\"socat connects a program to a network peer (reverse shell pattern) in ${namespace}/${workload}.\"",
    /* A shell whose parent is a network tool reads its commands from a
     * network peer whatever its arguments say ("nc -e sh", "socat
     * tcp:... exec:sh", "ncat --sh-exec"), so the parent alone decides.
     * Two rules because a rule carries one technique: the shell
     * (execution) and the raw channel (command-and-control). */
    "name=reverse-shell-network-parent " EXEC "binary~=\"" SHELL "\" parent~=\"" NC "|/socat$\""
    " severity=critical confidence=0.9 technique=T1059.004 technique_name=\"Unix Shell\" tactic=execution"
    " summary=\"Reverse shell: ${binary} was started by network tool ${parent} in ${namespace}/${workload}.\""
    " next=\"Isolate the pod and capture its network connections\""
    " next=\"Find the peer address in the parent's arguments and block it\"",
    "name=reverse-shell-network-channel " EXEC "binary~=\"" SHELL "\" parent~=\"" NC "|/socat$\""
    " severity=critical technique=T1095 technique_name=\"Non-Application Layer Protocol\" tactic=command-and-control"
    " summary=\"Shell ${binary} talks to a network peer through raw socket tool ${parent} in ${namespace}/${workload}.\"",
    "name=netcat " EXEC "binary~=\"" NC "|/socat$\" severity=high"
    " technique=T1095 technique_name=\"Non-Application Layer Protocol\" tactic=command-and-control"
    " summary=\"Raw network tool ${binary} ran in ${namespace}/${workload} (arguments: ${args}).\""
    " next=\"Check the peer address and port in the arguments against known services\"",

    /* --- discovery ------------------------------------------------------------- */
    "name=network-scanner " EXEC
    "binary~=\"/(nmap|masscan|zmap|rustscan|naabu|unicornscan|hping3?|fping|arp-scan)$\""
    " severity=high technique=T1046 technique_name=\"Network Service Discovery\" tactic=discovery"
    " summary=\"Network scanner ${binary} ran in ${namespace}/${workload}.\""
    " next=\"Check which address ranges it probed and whether the workload has any reason to scan\"",
    "name=recon-commands " EXEC INCT
    "container_init=no binary~=\"/(whoami|id|uname|hostname|ifconfig|ip|netstat|ss|ps|env|printenv)$\""
    " severity=low technique=T1082 technique_name=\"System Information Discovery\" tactic=discovery"
    " summary=\"Discovery command ${binary} ran inside ${namespace}/${workload}.\"",

    /* --- tools arriving in running containers ------------------------------------ */
    "name=package-manager " EXEC INCT "container_init=no"
    " binary~=\"/(apt|apt-get|aptitude|dpkg|yum|dnf|microdnf|apk|rpm|zypper|pip[0-9.]*|gem|npm|yarn|cargo)$\""
    " severity=medium technique=T1105 technique_name=\"Ingress Tool Transfer\" tactic=command-and-control"
    " summary=\"Package manager ${binary} ran in running container ${container} of ${namespace}/${workload}.\""
    " next=\"Containers should be immutable: find out what was installed and by whom\"",
    "name=compiler " EXEC INCT "container_init=no"
    " binary~=\"/(gcc|cc|c[+][+]|g[+][+]|clang|tcc|rustc|go|as|ld|make)$\""
    " severity=medium technique=T1027.004 technique_name=\"Compile After Delivery\" tactic=defense-evasion"
    " summary=\"Compiler ${binary} ran in running container ${container} of ${namespace}/${workload}.\"",
    "name=download-to-writable " EXEC "binary~=\"/(curl|wget|fetch|aria2c)$\""
    " args~=\"(-o|-O|--output|--output-document|-P)[ =]?(/tmp|/dev/shm|/var/tmp|/run|/var/run)|> *(/tmp|/dev/shm|/var/tmp)\""
    " severity=high technique=T1105 technique_name=\"Ingress Tool Transfer\" tactic=command-and-control"
    " summary=\"${binary} downloaded a file into a world-writable directory in ${namespace}/${workload}.\""
    " next=\"Fetch the downloaded file's hash and check what executed it next\"",
    "name=download-in-container " EXEC INCT
    "container_init=no binary~=\"/(curl|wget|fetch|aria2c)$\""
    " severity=low technique=T1105 technique_name=\"Ingress Tool Transfer\" tactic=command-and-control"
    " summary=\"${binary} ran inside ${namespace}/${workload}.\"",
    "name=exec-from-writable-dir " NOEXIT "binary~=\"^/(tmp|dev/shm|var/tmp)/\" severity=high"
    " technique=T1204.002 technique_name=\"Malicious File\" tactic=execution"
    " summary=\"A program ran from world-writable directory: ${binary} in ${namespace}/${workload}.\""
    " next=\"Collect the binary, hash it and find how it got there\"",

    /* --- decoding and piping into shells ----------------------------------------- */
    "name=decode-pipe-shell " EXEC
    "args~=\"(base64 +(-d|--decode|-D)|openssl +(enc|base64).*-d|xxd +-r).*[|] *(sudo +)?(ba|da|z)?sh\""
    " severity=high confidence=0.85 technique=T1140 technique_name=\"Deobfuscate/Decode Files or Information\""
    " tactic=defense-evasion summary=\"Encoded content is decoded and piped into a shell in ${namespace}/${workload}.\""
    " next=\"Decode the payload offline and review what it does\"",
    "name=download-pipe-shell " EXEC
    "args~=\"(curl|wget)[^|]*[|] *(sudo +)?(ba|da|z)?sh\" severity=high"
    " technique=T1059.004 technique_name=\"Unix Shell\" tactic=execution"
    " summary=\"A download is piped straight into a shell in ${namespace}/${workload}.\"",
    "name=base64-decode " EXEC INCT "binary~=/base64$ args~=\"(^| )(-d|--decode)\" severity=medium"
    " technique=T1140 technique_name=\"Deobfuscate/Decode Files or Information\" tactic=defense-evasion"
    " summary=\"base64 decoding inside ${namespace}/${workload}.\"",

    /* --- credential access ------------------------------------------------------- */
    "name=shadow-read " NOEXIT
    "any~=\"(^|[ /])etc/(g?shadow|security/opasswd)( |$|[|])\" severity=high"
    " technique=T1003.008 technique_name=\"/etc/passwd and /etc/shadow\" tactic=credential-access"
    " summary=\"${binary} accessed the password hash file in ${namespace}/${workload}.\""
    " next=\"Check whether the process legitimately needs password hashes; rotate local passwords if not\"",
    "name=passwd-write kind=process_kprobe function~=write kargs~=\"(^|/)etc/passwd\" severity=high"
    " technique=T1136.001 technique_name=\"Local Account\" tactic=persistence"
    " summary=\"${binary} wrote to /etc/passwd in ${namespace}/${workload}.\""
    " next=\"Diff /etc/passwd against the image to find added accounts\"",
    "name=passwd-access " NOEXIT "any~=\"(^|[ /])etc/passwd( |$|[|])\" severity=medium"
    " technique=T1087.001 technique_name=\"Local Account\" tactic=discovery"
    " summary=\"${binary} accessed /etc/passwd in ${namespace}/${workload}.\"",
    "name=ssh-private-key " NOEXIT
    "any~=\"[.]ssh/(id_(rsa|dsa|ecdsa|ed25519)|identity)( |$|[|])\" severity=high"
    " technique=T1552.004 technique_name=\"Private Keys\" tactic=credential-access"
    " summary=\"${binary} used or read an SSH private key in ${namespace}/${workload}.\""
    " next=\"Check where the key grants access and rotate it if the use is not expected\"",
    "name=serviceaccount-token " NOEXIT
    "any~=\"(/var)?/run/secrets/(kubernetes[.]io/serviceaccount|eks[.]amazonaws[.]com)\""
    " severity=high technique=T1528 technique_name=\"Steal Application Access Token\" tactic=credential-access"
    " summary=\"${binary} read the pod's service-account token in ${namespace}/${workload}.\""
    " next=\"Check the RBAC rights of the pod's service account and API audit logs for its use\"",
    "name=cloud-credentials " NOEXIT
    "any~=\"[.]aws/credentials|[.]aws/config|[.]config/gcloud|application_default_credentials[.]json|[.]azure/|[.]kube/config|[.]docker/config[.]json\""
    " severity=high technique=T1552.001 technique_name=\"Credentials In Files\" tactic=credential-access"
    " summary=\"${binary} accessed a cloud or cluster credentials file in ${namespace}/${workload}.\"",
    "name=instance-metadata " EXEC
    "args~=\"169[.]254[.]169[.]254|metadata[.]google[.]internal|100[.]100[.]100[.]200\""
    " severity=high technique=T1552.005 technique_name=\"Cloud Instance Metadata API\" tactic=credential-access"
    " summary=\"${binary} queried the cloud instance metadata service from ${namespace}/${workload}.\"",
    "name=keystore-access " NOEXIT
    "any~=\"[.](keystore|jks|p12|pfx)( |$|[|])|/etc/ssl/private/\" severity=medium"
    " technique=T1552.001 technique_name=\"Credentials In Files\" tactic=credential-access"
    " summary=\"${binary} accessed a key store in ${namespace}/${workload}.\"",

    /* --- persistence ------------------------------------------------------------- */
    "name=cron " NOEXIT "any~=\"/etc/cron|/var/spool/cron|(^|/)crontab( |$)\" severity=high"
    " technique=T1053.003 technique_name=Cron tactic=persistence"
    " summary=\"${binary} touched cron configuration in ${namespace}/${workload}.\""
    " next=\"List cron entries on the node or container and compare with the image\"",
    "name=systemd-unit " NOEXIT
    "any~=\"/(etc|lib|usr/lib|run)/systemd/system/|systemctl +(enable|link|daemon-reload)\""
    " severity=high technique=T1543.002 technique_name=\"Systemd Service\" tactic=persistence"
    " summary=\"${binary} changed systemd units in ${namespace}/${workload}.\"",
    "name=authorized-keys " NOEXIT "any~=authorized_keys2? severity=high"
    " technique=T1098.004 technique_name=\"SSH Authorized Keys\" tactic=persistence"
    " summary=\"${binary} touched an SSH authorized_keys file in ${namespace}/${workload}.\""
    " next=\"Compare authorized_keys with the expected keys and remove unknown ones\"",
    "name=ld-preload " NOEXIT "any~=\"/etc/ld[.]so[.]preload|LD_PRELOAD=\" severity=critical"
    " technique=T1574.006 technique_name=\"Dynamic Linker Hijacking\" tactic=persistence"
    " summary=\"${binary} touched the dynamic linker preload list in ${namespace}/${workload}.\""
    " next=\"Inspect /etc/ld.so.preload and the libraries it names\"",

    /* --- privilege escalation ------------------------------------------------------ */
    "name=setuid-chmod " EXEC
    "binary~=/chmod$ args~=\"(^| )([ugoa]*[+][rwxXt]*s|[0-7]?[4267][0-7][0-7][0-7])( |$)\""
    " severity=high technique=T1548.001 technique_name=\"Setuid and Setgid\" tactic=privilege-escalation"
    " summary=\"chmod set a setuid or setgid bit in ${namespace}/${workload}.\"",
    "name=sudo-su " EXEC "binary~=\"/(sudo|su|doas|pkexec|runuser)$\" severity=medium"
    " technique=T1548.003 technique_name=\"Sudo and Sudo Caching\" tactic=privilege-escalation"
    " summary=\"${binary} switched user (${args}) in ${namespace}/${workload}.\"",
    "name=setuid-syscall kind=process_kprobe function~=\"sys_set(res|fs)?[ug]id\" severity=medium"
    " technique=T1548.001 technique_name=\"Setuid and Setgid\" tactic=privilege-escalation"
    " summary=\"${binary} changed its user or group id (${function}) in ${namespace}/${workload}.\"",
    "name=creds-change kind=process_kprobe function~=\"commit_creds|security_bprm_creds|cap_capable|security_capset\""
    " severity=low technique=T1548 technique_name=\"Abuse Elevation Control Mechanism\" tactic=privilege-escalation"
    " summary=\"${binary} changed or used privileges (${function}) in ${namespace}/${workload}.\"",
    "name=capability-raise kind=process_kprobe function~=\"commit_creds|cap_capable|security_capset\""
    " kargs~=\"CAP_SYS_ADMIN|CAP_SYS_MODULE|CAP_SYS_PTRACE|CAP_BPF|CAP_SYS_RAWIO|CAP_DAC_READ_SEARCH\""
    " severity=medium technique=T1548 technique_name=\"Abuse Elevation Control Mechanism\" tactic=privilege-escalation"
    " summary=\"${binary} raised or used a powerful capability (${function}) in ${namespace}/${workload}.\"",
    "name=setcap " EXEC "binary~=\"/(setcap|capsh)$\" severity=high"
    " technique=T1548 technique_name=\"Abuse Elevation Control Mechanism\" tactic=privilege-escalation"
    " summary=\"${binary} changed file or process capabilities in ${namespace}/${workload}.\"",

    /* --- kernel modules -------------------------------------------------------------- */
    "name=kernel-module-exec " EXEC "binary~=\"/(insmod|modprobe|rmmod|kmod)$\" severity=high"
    " technique=T1547.006 technique_name=\"Kernel Modules and Extensions\" tactic=persistence"
    " summary=\"${binary} loads or unloads a kernel module (${args}).\""
    " next=\"Identify the module, its signature and who installed it\"",
    "name=kernel-module-load kind=process_kprobe function~=\"do_init_module|load_module|finit_module|init_module|security_kernel_module_request|find_module_sections|security_kernel_read_file\""
    " severity=high technique=T1547.006 technique_name=\"Kernel Modules and Extensions\" tactic=persistence"
    " summary=\"Kernel module activity (${function}) by ${binary}.\""
    " next=\"Identify the module, its signature and who installed it\"",
    "name=kernel-module-unload kind=process_kprobe function~=\"free_module|delete_module\" severity=medium"
    " technique=T1547.006 technique_name=\"Kernel Modules and Extensions\" tactic=persistence"
    " summary=\"Kernel module unloaded (${function}) by ${binary}.\"",

    /* --- escape to host -------------------------------------------------------------- */
    "name=nsenter-host " EXEC
    "binary~=/nsenter$ args~=\"(^| )(-t|--target)[ =]?1( |$)\" severity=critical"
    " confidence=0.9 technique=T1611 technique_name=\"Escape to Host\" tactic=privilege-escalation"
    " summary=\"nsenter entered the namespaces of the host's PID 1 from ${namespace}/${workload}.\""
    " next=\"Treat the node as compromised: cordon it and review the pod's privileges\"",
    "name=nsenter " EXEC
    "binary~=/nsenter$ severity=high technique=T1611 technique_name=\"Escape to Host\""
    " tactic=privilege-escalation summary=\"nsenter entered other namespaces (${args}) in ${namespace}/${workload}.\"",
    "name=setns kind=process_kprobe function~=setns severity=high technique=T1611"
    " technique_name=\"Escape to Host\" tactic=privilege-escalation"
    " summary=\"${binary} switched namespaces (${function}) in ${namespace}/${workload}.\"",
    "name=runtime-socket " NOEXIT INCT
    "any~=\"/(var/)?run/(containerd/containerd|docker|crio/crio|cri-dockerd|podman/podman)[.]sock\""
    " severity=critical technique=T1611 technique_name=\"Escape to Host\" tactic=privilege-escalation"
    " summary=\"${binary} in ${namespace}/${workload} uses the container runtime's socket.\""
    " next=\"Remove the runtime socket mount from the pod; check what containers it started\"",
    "name=mount-in-container " NOEXIT INCT "binary~=\"/(u?mount)$\" severity=high"
    " technique=T1611 technique_name=\"Escape to Host\" tactic=privilege-escalation"
    " summary=\"${binary} (${args}) ran inside ${namespace}/${workload}.\"",
    "name=chroot-host " EXEC "args~=\"chroot +/(host|rootfs|proc/1/root)\" severity=critical"
    " technique=T1611 technique_name=\"Escape to Host\" tactic=privilege-escalation"
    " summary=\"chroot into the host filesystem from ${namespace}/${workload}.\"",
    "name=privileged-shell " EXEC INCT "exec_probe=no container_init=no caps~=CAP_SYS_ADMIN"
    " binary~=\"" SHELL "\" severity=high technique=T1611 technique_name=\"Escape to Host\""
    " tactic=privilege-escalation summary=\"Shell ${binary} in privileged container ${container} of ${namespace}/${workload} (CAP_SYS_ADMIN).\""
    " next=\"Check why the pod is privileged; a shell there is one step from the node\"",

    /* --- Kubernetes API from pods ------------------------------------------------------ */
    "name=kubectl-in-pod " EXEC INCT
    "binary~=\"/(kubectl|oc|helm|crictl|ctr|docker)$\" severity=high"
    " technique=T1609 technique_name=\"Container Administration Command\" tactic=execution"
    " summary=\"${binary} ran inside ${namespace}/${workload}: cluster administration from a pod.\""
    " next=\"Check the pod service account's RBAC and the API audit log\"",
    "name=apiserver-from-pod " EXEC INCT "binary~=\"/(curl|wget|python[0-9.]*)$\""
    " args~=\"kubernetes[.]default|KUBERNETES_SERVICE|:6443|/api/v1/|/apis/\" severity=high"
    " technique=T1613 technique_name=\"Container and Resource Discovery\" tactic=discovery"
    " summary=\"${binary} called the Kubernetes API server from ${namespace}/${workload}.\"",

    /* --- crypto miners ----------------------------------------------------------------- */
    "name=crypto-miner-binary " NOEXIT
    "binary~=\"/(xmrig|xmr-stak|minerd|cpuminer|ethminer|nbminer|t-rex|lolminer|cgminer|bfgminer|ccminer|nanominer)$\""
    " severity=critical technique=T1496 technique_name=\"Resource Hijacking\" tactic=impact"
    " summary=\"Crypto-miner ${binary} ran in ${namespace}/${workload}.\""
    " next=\"Kill the workload, find the entry point and check node CPU usage\"",
    "name=crypto-miner-args " EXEC
    "args~=\"stratum[+](tcp|ssl|tls)://|--donate-level|supportxmr|minexmr|nicehash|nanopool|--coin[= ]|randomx|cryptonight\""
    " severity=critical technique=T1496 technique_name=\"Resource Hijacking\" tactic=impact"
    " summary=\"Mining pool arguments in ${binary} in ${namespace}/${workload}.\"",

    /* --- network ----------------------------------------------------------------------- */
    "name=suspicious-port kind=process_kprobe function~=\"connect\""
    " kargs~=\":(4444|4445|1337|31337|5555|6666|6667|6697|9001|9050|9051|1080|3333|14444|45700|8888)( |$|[|])\""
    " severity=high technique=T1571 technique_name=\"Non-Standard Port\" tactic=command-and-control"
    " summary=\"${binary} connected to a port typical of backdoors, IRC, Tor or mining pools from ${namespace}/${workload}.\"",
    "name=unusual-port kind=process_kprobe function~=\"connect\""
    " kargs!~\":(80|443|53|8080|8443|6443|2379|2380|9092|9093|5432|3306|6379|27017|9200|9300|10250|123|22)( |$|[|])\""
    " severity=low technique=T1571 technique_name=\"Non-Standard Port\" tactic=command-and-control"
    " summary=\"${binary} connected to an unusual port from ${namespace}/${workload}.\"",
    "name=url-unusual-port " EXEC
    "args~=\"://[^/ ]+:(4444|4445|1337|31337|5555|6666|6667|9001|3333|14444|45700)\""
    " severity=high technique=T1571 technique_name=\"Non-Standard Port\" tactic=command-and-control"
    " summary=\"${binary} addressed a URL on a port typical of backdoors or mining pools.\"",
    "name=remote-copy " EXEC
    "binary~=\"/(scp|rsync|sftp|rclone)$\" args~=\"@[^ ]+:\" severity=medium"
    " technique=T1048 technique_name=\"Exfiltration Over Alternative Protocol\" tactic=exfiltration"
    " summary=\"${binary} copies files to a remote host from ${namespace}/${workload}.\"",
    "name=archive " EXEC
    "binary~=\"/(7z|7za|zip|rar|tar)$\" args~=\"(^| )(a|c[a-z]*f?|-r)( |$)\" container_init=no"
    " severity=low technique=T1560.001 technique_name=\"Archive via Utility\" tactic=collection"
    " summary=\"${binary} created an archive in ${namespace}/${workload}.\"",

    /* --- covering tracks -------------------------------------------------------------- */
    "name=clear-history " NOEXIT
    "any~=\"(rm|shred|truncate|unlink|>)[^|;]*[.](bash|zsh|ash|sh|python)_history|history +-c|HISTFILE=/dev/null|unset +HISTFILE|HISTSIZE=0\""
    " severity=high technique=T1070.003 technique_name=\"Clear Command History\" tactic=defense-evasion"
    " summary=\"${binary} cleared shell history in ${namespace}/${workload}.\"",
    "name=clear-logs " NOEXIT
    "any~=\"(rm|shred|truncate|unlink|journalctl +--vacuum|> *)[^|;]*/var/log|(wtmp|btmp|lastlog)( |$)\""
    " severity=high technique=T1070.002 technique_name=\"Clear Linux or Mac System Logs\" tactic=defense-evasion"
    " summary=\"${binary} removed or truncated system logs in ${namespace}/${workload}.\"",
    "name=log-unlink kind=process_kprobe function~=unlink kargs~=\"/var/log/|_history\" severity=high"
    " technique=T1070.002 technique_name=\"Clear Linux or Mac System Logs\" tactic=defense-evasion"
    " summary=\"${binary} deleted a log or history file in ${namespace}/${workload}.\"",
    NULL,
};
