// The detection types the tests use; points at the interim stand-in until FlowActors.Detection lands.
global using Alert = FlowActors.Siem.Interim.Alert;
global using FlowObservation = FlowActors.Siem.Interim.FlowObservation;
