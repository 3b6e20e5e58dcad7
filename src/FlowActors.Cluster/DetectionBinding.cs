// Which detection types the cluster wraps. Points at the interim stand-in until FlowActors.Detection lands.
global using Alert = FlowActors.Siem.Interim.Alert;
global using DetectionSettings = FlowActors.Siem.Interim.DetectionSettings;
global using FlowObservation = FlowActors.Siem.Interim.FlowObservation;
global using HostBehavior = FlowActors.Siem.Interim.HostBehavior;
global using NetworkClassifier = FlowActors.Siem.Interim.NetworkClassifier;
