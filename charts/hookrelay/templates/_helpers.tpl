{{- define "hookrelay.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of one service's objects: <release>-hookrelay-<component>. */}}
{{- define "hookrelay.componentName" -}}
{{- printf "%s-%s" (include "hookrelay.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hookrelay.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: hookrelay
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "hookrelay.selectorLabels" . }}
{{- end -}}

{{- define "hookrelay.selectorLabels" -}}
app.kubernetes.io/name: hookrelay
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hookrelay.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .component (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{/* Settings every service reads (DESIGN.md, the contract). */}}
{{- define "hookrelay.commonEnv" -}}
- name: NATS_URL
  value: {{ .Values.nats.url | quote }}
- name: STREAM_REPLICAS
  value: {{ .Values.nats.streamReplicas | quote }}
- name: HISTORY_RETENTION
  value: {{ .Values.historyRetention | quote }}
- name: HOOKRELAY_PUBLIC_URL
  value: {{ .Values.publicUrl | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{- define "hookrelay.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: http }
  periodSeconds: 5
  failureThreshold: 2
{{- end -}}

{{/* Pod-level settings shared by every service. */}}
{{- define "hookrelay.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A read-only root filesystem still needs a writable /tmp. */}}
{{- define "hookrelay.tmpVolume" -}}
- name: tmp
  emptyDir: { sizeLimit: 64Mi }
{{- end -}}

{{- define "hookrelay.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "hookrelay.apiTokenSecret" -}}
{{- default (printf "%s-api-token" (include "hookrelay.fullname" .)) .Values.gateway.apiTokenSecret -}}
{{- end -}}

{{/*
A service's Deployment. Arguments: root, component, values (its block in values.yaml), portEnv (the
variable naming its port), env (extra env entries, YAML), serviceAccount (optional).
*/}}
{{- define "hookrelay.deployment" -}}
{{- $ctx := dict "root" .root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "hookrelay.componentName" $ctx }}
  labels:
    {{- include "hookrelay.labels" $ctx | nindent 4 }}
spec:
  replicas: {{ .values.replicas }}
  selector:
    matchLabels:
      {{- include "hookrelay.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "hookrelay.selectorLabels" $ctx | nindent 8 }}
      {{- with .root.Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      {{- include "hookrelay.podCommon" .root | nindent 6 }}
      {{- if .serviceAccount }}
      serviceAccountName: {{ .serviceAccount }}
      {{- else }}
      automountServiceAccountToken: false
      {{- end }}
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .component }}
          image: {{ include "hookrelay.image" $ctx }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .values.port }}
          env:
            {{- include "hookrelay.commonEnv" .root | nindent 12 }}
            - name: {{ .portEnv }}
              value: {{ .values.port | quote }}
            {{- with .env }}
            {{- . | nindent 12 }}
            {{- end }}
          {{- include "hookrelay.probes" . | nindent 10 }}
          resources:
            {{- toYaml .values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "hookrelay.tmpMount" . | nindent 12 }}
      volumes:
        {{- include "hookrelay.tmpVolume" . | nindent 8 }}
{{- end -}}

{{/* A ClusterIP Service on the `http` port; ServiceMonitor scrapes every one of them. */}}
{{- define "hookrelay.service" -}}
{{- $ctx := dict "root" .root "component" .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "hookrelay.componentName" $ctx }}
  labels:
    {{- include "hookrelay.labels" $ctx | nindent 4 }}
spec:
  type: {{ .type | default "ClusterIP" }}
  selector:
    {{- include "hookrelay.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ .port }}
      targetPort: http
{{- end -}}
