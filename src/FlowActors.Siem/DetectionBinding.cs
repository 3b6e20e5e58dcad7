// The alert model the SIEM layer formats.
global using Alert = FlowActors.Detection.Alert;
