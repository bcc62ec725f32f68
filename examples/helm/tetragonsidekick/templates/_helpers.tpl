{{/* _helpers.tpl - names, labels and the pod pieces the three programs share. */}}

{{/* tsk.name PROGRAM: an object's name, "<release>-<program>" (tetra-capture for release tetra). */}}
{{- define "tsk.name" -}}
{{- printf "%s-%s" .root.Release.Name .program | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tsk.selectorLabels" -}}
app.kubernetes.io/name: tetra-{{ .program }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "tsk.labels" -}}
{{ include "tsk.selectorLabels" . }}
app.kubernetes.io/component: {{ .program }}
app.kubernetes.io/part-of: tetragonsidekick
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Labels of objects that belong to no one program (ConfigMap, Secrets, metrics). */}}
{{- define "tsk.commonLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: tetragonsidekick
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tsk.configName" -}}{{ .Release.Name }}-config{{- end -}}
{{- define "tsk.metricsName" -}}{{ .Release.Name }}-metrics{{- end -}}
{{- define "tsk.kafkaSecret" -}}{{ .Values.kafka.sasl.existingSecret | default (printf "%s-kafka" .Release.Name) }}{{- end -}}
{{- define "tsk.opensearchSecret" -}}{{ .Values.opensearch.existingSecret | default (printf "%s-opensearch" .Release.Name) }}{{- end -}}
{{- define "tsk.llmSecret" -}}{{ .Values.llm.existingSecret | default (printf "%s-llm" .Release.Name) }}{{- end -}}

{{/* The restricted Pod Security Standard, pod and container halves. */}}
{{- define "tsk.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile: {type: RuntimeDefault}
{{- end -}}

{{- define "tsk.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: {drop: ["ALL"]}
{{- end -}}

{{/* The metrics port and the probes every program answers on it. */}}
{{- define "tsk.metricsPortAndProbes" -}}
ports:
  - {name: metrics, containerPort: {{ .Values.metrics.port }}, protocol: TCP}
livenessProbe:
  httpGet: {path: /healthz, port: metrics}
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: metrics}
  periodSeconds: 5
  failureThreshold: 2
{{- end -}}

{{- define "tsk.metricsArg" -}}
- --metrics-addr=0.0.0.0:{{ .Values.metrics.port }}
{{- end -}}

{{/* The ConfigMap as environment, and Kafka SASL from its optional Secret. */}}
{{- define "tsk.envFrom" -}}
envFrom:
  - configMapRef: {name: {{ include "tsk.configName" . }}}
{{- end -}}

{{- define "tsk.kafkaSaslEnv" -}}
- name: TETRA_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef: {name: {{ include "tsk.kafkaSecret" . }}, key: username, optional: true}
- name: TETRA_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "tsk.kafkaSecret" . }}, key: password, optional: true}
{{- end -}}

{{- define "tsk.image" -}}
image: {{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end -}}

{{- define "tsk.podScheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity: {{ toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
