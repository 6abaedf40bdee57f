{{- define "librarian.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "librarian.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "librarian.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "librarian.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "librarian.selectorLabels" -}}
app.kubernetes.io/name: {{ include "librarian.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "librarian.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "librarian.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "librarian.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "librarian.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "librarian.fullname" .) -}}
{{- end -}}

{{/* librarian.yaml: .Values.config with the settings the chart manages on top. */}}
{{- define "librarian.config" -}}
{{- $managed := dict
  "dataDir" "/var/lib/librarian"
  "database" (dict "provider" "postgresql" "urlFile" "/etc/librarian/secrets/database-url")
  "encryptionKeyFile" "/etc/librarian/secrets/encryption-key"
  "metrics" (dict "tokenFile" "/etc/librarian/secrets/metrics-token")
  "api" (dict "host" "0.0.0.0" "port" (int .Values.api.port))
  "worker" (dict "healthPort" (int .Values.worker.healthPort) "healthHost" "0.0.0.0")
  "temporal" (dict "address" .Values.temporal.address "namespace" .Values.temporal.namespace)
-}}
{{- toYaml (mergeOverwrite (deepCopy .Values.config) $managed) -}}
{{- end -}}

{{/* The Secret's data (the chart-made Secret and the setup hook's copy). */}}
{{- define "librarian.secretData" -}}
database-url: {{ required "secrets.databaseUrl is required (or set secrets.existingSecret)" .Values.secrets.databaseUrl | b64enc | quote }}
admin-password: {{ required "secrets.adminPassword is required (or set secrets.existingSecret)" .Values.secrets.adminPassword | b64enc | quote }}
encryption-key: {{ required "secrets.encryptionKey is required (or set secrets.existingSecret)" .Values.secrets.encryptionKey | b64enc | quote }}
metrics-token: {{ required "secrets.metricsToken is required (or set secrets.existingSecret)" .Values.secrets.metricsToken | b64enc | quote }}
{{- range $k, $v := .Values.secrets.extra }}
{{ $k }}: {{ $v | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* Which storage volume is used: existingClaim, hostPath or the chart's claim. */}}
{{- define "librarian.storageVolume" -}}
{{- if .Values.storage.existingClaim -}}
persistentVolumeClaim:
  claimName: {{ .Values.storage.existingClaim }}
{{- else if .Values.storage.hostPath -}}
hostPath:
  path: {{ .Values.storage.hostPath }}
  type: {{ .Values.storage.hostPathType }}
{{- else if .Values.storage.create.enabled -}}
persistentVolumeClaim:
  claimName: {{ include "librarian.fullname" . }}-data
{{- else -}}
{{- fail "storage: set existingClaim, hostPath or create.enabled" -}}
{{- end -}}
{{- end -}}

{{- define "librarian.chartClaim" -}}
{{- and (not .Values.storage.existingClaim) (not .Values.storage.hostPath) .Values.storage.create.enabled -}}
{{- end -}}

{{/* Volumes of every pod; $config and $secret name the ConfigMap and Secret to mount. */}}
{{- define "librarian.volumes" -}}
{{- $root := index . 0 -}}
{{- $config := index . 1 -}}
{{- $secret := index . 2 -}}
- name: config
  configMap:
    name: {{ $config }}
- name: secrets
  secret:
    secretName: {{ $secret }}
    defaultMode: 0440
- name: data
  {{- include "librarian.storageVolume" $root | nindent 2 }}
- name: home
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- with $root.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "librarian.volumeMounts" -}}
- name: config
  mountPath: /etc/librarian/librarian.yaml
  subPath: librarian.yaml
  readOnly: true
- name: secrets
  mountPath: /etc/librarian/secrets
  readOnly: true
- name: data
  mountPath: {{ .Values.storage.mountPath }}
- name: home
  mountPath: /var/lib/librarian
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "librarian.env" -}}
- name: LIBRARIAN_CONFIG
  value: /etc/librarian/librarian.yaml
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
