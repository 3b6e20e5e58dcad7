// The detection types the tests use.
global using Alert = FlowActors.Detection.Alert;
global using FlowObservation = FlowActors.Detection.FlowObservation;
