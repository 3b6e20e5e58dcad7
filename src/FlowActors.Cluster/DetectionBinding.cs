// The detection types the cluster wraps (FlowActors.Detection).
global using Alert = FlowActors.Detection.Alert;
global using CachePrefetch = FlowActors.Detection.CachePrefetch;
global using DetectionSettings = FlowActors.Detection.DetectionSettings;
global using FlowObservation = FlowActors.Detection.FlowObservation;
global using HostBehavior = FlowActors.Detection.HostBehavior;
global using NetworkClassifier = FlowActors.Detection.NetworkClassifier;
