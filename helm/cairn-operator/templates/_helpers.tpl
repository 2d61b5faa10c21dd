{{- define "cairn-operator.name" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cairn-operator.labels" -}}
app.kubernetes.io/name: cairn-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cairn-operator.selector" -}}
app.kubernetes.io/name: cairn-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
