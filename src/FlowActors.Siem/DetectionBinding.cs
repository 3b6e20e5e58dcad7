// Which detection types the SIEM layer formats. Points at the interim stand-in until FlowActors.Detection lands.
global using Alert = FlowActors.Siem.Interim.Alert;
