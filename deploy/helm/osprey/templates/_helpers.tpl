{{- define "osprey.name" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "osprey.labels" -}}
app.kubernetes.io/name: osprey
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "osprey.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
