# End-to-end benchmark functions for build.ps1 (targets bench-e2e, bench-gen, bench-cluster); dot-sourced by it.
# bench/README.md ("End to end") says what is measured and how to read the output.
# Everything runs on loopback: the generator (bench/nfgen/nfgen.c), nfcapd, the node(s) and PostgreSQL, each on free
# ports, with data in temp directories that are deleted at the end.

Set-StrictMode -Version Latest

$script:BenchTempDirs = [System.Collections.Generic.List[string]]::new()
$script:BenchProcesses = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()

function New-BenchTempDir([string]$Prefix) {
  $d = Join-Path ([System.IO.Path]::GetTempPath()) ("$Prefix-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
  New-Item -ItemType Directory $d | Out-Null
  $script:BenchTempDirs.Add($d)
  return $d
}

function Remove-BenchTemp {
  foreach ($p in $script:BenchProcesses) {
    try { if (-not $p.HasExited) { $p.Kill($true); $p.WaitForExit(10000) | Out-Null } } catch { }
  }
  $script:BenchProcesses.Clear()
  foreach ($d in $script:BenchTempDirs) { if (Test-Path $d) { Remove-Item -Recurse -Force $d -ErrorAction SilentlyContinue } }
  $script:BenchTempDirs.Clear()
}

function Get-BenchFreePort([switch]$Udp) {
  if ($Udp) {
    $s = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    try { return $s.Client.LocalEndPoint.Port } finally { $s.Dispose() }
  }
  $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
  $l.Start()
  try { return $l.LocalEndpoint.Port } finally { $l.Stop() }
}

# Installs a Debian package when the command it provides is missing (nfdump for nfcapd, gcc for the generator).
function Install-BenchPackage([string]$Command, [string]$Package) {
  if (Get-Command $Command -ErrorAction SilentlyContinue) { return }
  Write-Host "> apt-get install $Package (for $Command)" -ForegroundColor Cyan
  $env:DEBIAN_FRONTEND = 'noninteractive'
  & apt-get update -qq | Out-Null
  & apt-get install -y -qq --no-install-recommends $Package | Out-Null
  if (-not (Get-Command $Command -ErrorAction SilentlyContinue)) { throw "could not install $Package (needed for $Command)" }
}

# Compiles bench/nfgen/nfgen.c into artifacts/bench/nfgen when the source is newer than the binary.
function Build-Nfgen([string]$Root) {
  Install-BenchPackage 'gcc' 'gcc'
  $src = Join-Path $Root 'bench/nfgen/nfgen.c'
  $outDir = Join-Path $Root 'artifacts/bench'
  $exe = Join-Path $outDir 'nfgen'
  New-Item -ItemType Directory -Force $outDir | Out-Null
  if (-not (Test-Path $exe) -or (Get-Item $src).LastWriteTimeUtc -gt (Get-Item $exe).LastWriteTimeUtc) {
    Write-Host "> gcc -O2 -pthread -o $exe $src -lm" -ForegroundColor Cyan
    & gcc -O2 -Wall -Wextra -Werror -pthread -o $exe $src -lm
    if ($LASTEXITCODE -ne 0) { throw 'gcc failed to build nfgen' }
  }
  return $exe
}

# Runs the generator; returns its "key value" summary as a hashtable of doubles (first_error as text).
function Invoke-Nfgen([string]$Exe, [string[]]$Arguments) {
  $lines = & $Exe @Arguments
  if ($LASTEXITCODE -ne 0) { throw "nfgen $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
  $r = @{ first_error = '' }
  foreach ($line in $lines) {
    $k, $v = $line -split ' ', 2
    if ($k -eq 'first_error') { $r[$k] = $v } else { $r[$k] = [double]$v }
  }
  return $r
}

function Get-GeneratorThreads([double]$Rate) {
  # About 5 M flows/s per sender thread on this class of machine (bench-gen); keep each well inside it.
  if ($Rate -le 0) { return 1 }
  return [int][Math]::Min(8, [Math]::Ceiling($Rate / 2000000.0))
}

# Udp counters of /proc/net/snmp (system-wide: another process's drops count too, which is why sockets are read as well).
function Get-UdpSnmp {
  $lines = Get-Content /proc/net/snmp | Where-Object { $_ -like 'Udp:*' }
  $names = @(($lines[0] -split '\s+') | Select-Object -Skip 1)
  $values = @(($lines[1] -split '\s+') | Select-Object -Skip 1)
  $r = @{}
  for ($i = 0; $i -lt $names.Count; $i++) { $r[$names[$i]] = [double]$values[$i] }
  return $r
}

# Kernel drop counters and queued bytes of every IPv4/IPv6 UDP socket bound to one of the ports.
function Get-UdpSocketState([int[]]$Ports) {
  $drops = 0.0; $queued = 0.0; $sockets = 0
  foreach ($file in '/proc/net/udp', '/proc/net/udp6') {
    if (-not (Test-Path $file)) { continue }
    foreach ($line in (Get-Content $file | Select-Object -Skip 1)) {
      $f = $line.Trim() -split '\s+'
      $port = [Convert]::ToInt32(($f[1] -split ':')[1], 16)
      if ($Ports -notcontains $port) { continue }
      $queued += [Convert]::ToInt64(($f[4] -split ':')[1], 16)
      $drops += [double]$f[-1]
      $sockets++
    }
  }
  return @{ Drops = $drops; Queued = $queued; Sockets = $sockets }
}

# Effective receive buffers of the sockets on a port (ss's skmem rb, what the kernel granted).
function Get-UdpReceiveBuffers([int]$Port) {
  $out = & ss -uamn "sport = :$Port" 2>$null
  $rb = @()
  foreach ($line in $out) { if ($line -match 'rb(\d+)') { $rb += [long]$Matches[1] } }
  return ($rb | Sort-Object -Unique) -join ','
}

function Get-ProcCpuSeconds([int]$ProcessId) {
  # 0 once the process is gone (a step where it died fails on that, not on this).
  if (-not (Test-Path "/proc/$ProcessId/stat")) { return 0.0 }
  $stat = Get-Content "/proc/$ProcessId/stat" -Raw -ErrorAction SilentlyContinue
  if (-not $stat) { return 0.0 }
  $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
  return ([double]$fields[11] + [double]$fields[12]) / 100.0  # utime + stime, USER_HZ ticks
}

function Get-ProcMemoryKb([int]$ProcessId, [string]$Field) {
  if (-not (Test-Path "/proc/$ProcessId/status")) { return 0.0 }
  foreach ($line in Get-Content "/proc/$ProcessId/status" -ErrorAction SilentlyContinue) {
    if ($line -match "^${Field}:\s+(\d+) kB") { return [double]$Matches[1] }
  }
  return 0.0
}

# Resets the peak RSS (VmHWM) of a process we started, so each step reports its own peak.
function Reset-ProcPeak([int]$ProcessId) {
  try { Set-Content -Path "/proc/$ProcessId/clear_refs" -Value '5' -ErrorAction Stop } catch { }
}

function Start-BenchProcess([string]$File, [string]$Arguments, [string]$Log, [hashtable]$Environment = @{}, [string]$WorkingDirectory = '/tmp') {
  # exec through sh so the output goes straight to a file and the pid stays the program's.
  $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
  $psi.ArgumentList.Add('-c')
  $psi.ArgumentList.Add("exec $File $Arguments >'$Log' 2>&1")
  $psi.UseShellExecute = $false
  $psi.WorkingDirectory = $WorkingDirectory
  foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string]$Environment[$k] }
  $p = [System.Diagnostics.Process]::Start($psi)
  $script:BenchProcesses.Add($p)
  return $p
}

function Stop-BenchProcess([System.Diagnostics.Process]$Process, [int]$TimeoutSeconds = 60) {
  if ($null -eq $Process) { return }
  if (-not $Process.HasExited) {
    & kill -TERM $Process.Id 2>$null
    if (-not $Process.WaitForExit($TimeoutSeconds * 1000)) { $Process.Kill($true); $Process.WaitForExit(10000) | Out-Null }
  }
  $script:BenchProcesses.Remove($Process) | Out-Null
}

function Wait-UdpBound([int]$Port, [System.Diagnostics.Process]$Process, [int]$Sockets = 1, [int]$TimeoutSeconds = 30) {
  $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
  while ((Get-UdpSocketState @($Port)).Sockets -lt $Sockets) {
    if ($Process.HasExited) { throw "process $($Process.Id) exited (code $($Process.ExitCode)) before binding UDP $Port" }
    if ([DateTime]::UtcNow -gt $deadline) { throw "nothing bound UDP port $Port within $TimeoutSeconds s" }
    Start-Sleep -Milliseconds 100
  }
}

# --- the node ---------------------------------------------------------------------------------------------------------

function Get-BenchMetricSum([string]$Metrics, [string]$Pattern) {
  # Sum of every series whose metric name matches the regex (anchored), e.g. 'flowactors_receiver_records_total'.
  $sum = 0.0
  foreach ($line in $Metrics -split "`n") {
    if ($line.StartsWith('#')) { continue }
    if ($line -match "^($Pattern)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$" -and $Matches[3] -ne 'NaN') { $sum += [double]$Matches[3] }
  }
  return $sum
}

# The counters a step compares, from the node's /metrics (names: Node/Hosting/NodeMetrics.cs, Cluster/ClusterMetrics.cs).
function Get-NodeCounters([System.Net.Http.HttpClient]$Http, [string[]]$Bases) {
  $c = @{ Datagrams = 0.0; Records = 0.0; Observed = 0.0; Applied = 0.0; NodeDrops = 0.0; DecodeErrors = 0.0; Batches = 0.0; Ok = $true }
  foreach ($base in $Bases) {
    try { $m = $Http.GetStringAsync("$base/metrics").GetAwaiter().GetResult() } catch { $c.Ok = $false; continue }
    $c.Datagrams += Get-BenchMetricSum $m 'flowactors_receiver_datagrams_total'
    $c.Records += Get-BenchMetricSum $m 'flowactors_receiver_records_total'
    $c.Observed += Get-BenchMetricSum $m 'flowactors_receiver_observations_total'
    $c.Applied += Get-BenchMetricSum $m 'flowactors_host_observations_total'
    $c.Batches += Get-BenchMetricSum $m 'flowactors_host_batches_total'
    $c.DecodeErrors += Get-BenchMetricSum $m 'flowactors_receiver_decode_errors_total'
    # Every drop counter the node exports (receivers' per-reason drops today; any later *drop* counter too).
    $c.NodeDrops += Get-BenchMetricSum $m 'flowactors_[a-z0-9_]*drop[a-z0-9_]*_total'
  }
  return $c
}

# Starts one node (Release build) on free ports with its data in a temp dir; waits until /healthz/ready.
function Start-BenchNode([string]$NodeDll, [hashtable]$Settings, [int]$RemotingPort = 0) {
  $data = New-BenchTempDir 'flowactors-bench-node'
  if ($RemotingPort -eq 0) { $RemotingPort = Get-BenchFreePort }
  $n = @{
    Data = $data; NetFlowPort = (Get-BenchFreePort -Udp); RemotingPort = $RemotingPort; OperatorPort = (Get-BenchFreePort)
    Log = (Join-Path $data 'node.log')
  }
  $envs = @{
    FLOWACTORS__DATADIRECTORY = $data
    FLOWACTORS__CLUSTER__PORT = "$($n.RemotingPort)"
    FLOWACTORS__OPERATOR__PORT = "$($n.OperatorPort)"
    FLOWACTORS__RECEIVERS__NETFLOWPORT = "$($n.NetFlowPort)"
    FLOWACTORS__RECEIVERS__IPFIXPORT = '0'
    FLOWACTORS__RECEIVERS__SFLOWPORT = '0'
    FLOWACTORS__RECEIVERS__BINDADDRESS = '127.0.0.1'
    # The node as its image runs it (docker/Dockerfile): a 128 MB young generation.
    DOTNET_GCgen0size = '0x8000000'
  }
  foreach ($k in $Settings.Keys) { $envs[$k] = $Settings[$k] }
  $n.Process = Start-BenchProcess 'dotnet' "'$NodeDll'" $n.Log $envs $data
  $n.Base = "http://127.0.0.1:$($n.OperatorPort)"
  return $n
}

function Wait-BenchNodeReady($Node, [System.Net.Http.HttpClient]$Http, [int]$TimeoutSeconds = 180) {
  $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
  while ($true) {
    if ($Node.Process.HasExited) {
      throw "node exited early (code $($Node.Process.ExitCode)); last log lines:`n$((Get-Content $Node.Log -Tail 20) -join "`n")"
    }
    try { if ($Http.GetAsync("$($Node.Base)/healthz/ready").GetAwaiter().GetResult().IsSuccessStatusCode) { break } } catch { }
    if ([DateTime]::UtcNow -gt $deadline) { throw "node not ready within $TimeoutSeconds s (log: $($Node.Log))" }
    Start-Sleep -Milliseconds 250
  }
}

# --- one step: send at a rate, then judge by the loss definition --------------------------------------------------------

function New-StepRow([string]$Stage, [double]$Offered) {
  return [ordered]@{
    Stage = $Stage; Offered = $Offered; Achieved = 0.0; Sent = 0.0; SentDatagrams = 0.0; Expected = 0.0
    SocketDrops = 0.0; SnmpDrops = 0.0; Received = 0.0; Decoded = 0.0; Observed = [double]::NaN; Applied = [double]::NaN
    NodeDrops = [double]::NaN; DecodeErrors = 0.0; Cpu = 0.0; PeakRssMb = 0.0; GenCpu = 0.0; Lossless = $false; Why = ''
  }
}

function Complete-StepVerdict($Row) {
  $why = @()
  if ($Row.Sent -le 0) { $why += 'nothing sent' }
  if ($Row.SocketDrops -ne 0) { $why += 'socket drops' }
  if ($Row.SnmpDrops -ne 0) { $why += 'RcvbufErrors' }
  if ($Row.Decoded -ne $Row.Sent) { $why += 'not all decoded' }
  if ($Row.DecodeErrors -ne 0) { $why += 'decode errors' }
  if (-not [double]::IsNaN($Row.NodeDrops) -and $Row.NodeDrops -ne 0) { $why += 'node drops' }
  if (-not [double]::IsNaN($Row.Observed) -and $Row.Observed -ne $Row.Expected) { $why += 'not all observed' }
  if (-not [double]::IsNaN($Row.Applied) -and $Row.Applied -ne $Row.Expected) { $why += 'not all applied' }
  # The generator shares the machine: when it fell short of the offered rate the step says so (a pass then counts at
  # the achieved rate, see Find-LosslessRate).
  if ($Row.Offered -gt 0 -and $Row.Achieved -lt 0.97 * $Row.Offered) { $Row['GeneratorShort'] = $true }
  $Row.Lossless = $why.Count -eq 0
  $Row.Why = if ($Row.Lossless) { 'lossless' } else { $why -join ', ' }
  if ($Row.Contains('GeneratorShort')) { $Row.Why += ' (generator short of the offered rate)' }
}

function Invoke-NfcapdStep($Ctx, [int]$Hosts, [double]$Rate) {
  $row = New-StepRow 'nfcapd' $Rate
  $dir = New-BenchTempDir 'flowactors-bench-nfcapd'
  $port = Get-BenchFreePort -Udp
  $log = Join-Path $dir 'nfcapd.log'
  $flows = Join-Path $dir 'flows'
  New-Item -ItemType Directory $flows | Out-Null
  $p = Start-BenchProcess 'nfcapd' "-w '$flows' -b 127.0.0.1 -p $port -B $($Ctx.SocketBuffer) -t 3600 -I bench" $log
  try {
    Wait-UdpBound $port $p
    $Ctx.NfcapdBuffers = Get-UdpReceiveBuffers $port
    $snmp0 = Get-UdpSnmp; $sock0 = Get-UdpSocketState @($port); $cpu0 = Get-ProcCpuSeconds $p.Id
    Reset-ProcPeak $p.Id
    $g = Invoke-Nfgen $Ctx.Nfgen @('--to', "127.0.0.1:$port", '--rate', "$Rate", '--seconds', "$($Ctx.StepSeconds)", '--hosts', "$Hosts",
      '--threads', "$(Get-GeneratorThreads $Rate)", '--seed', "$($Ctx.NextSeed++)")
    # nfcapd has nothing more to do once its socket is empty; give it the loss definition's 5 s at most.
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    do { Start-Sleep -Milliseconds 200 } while ((Get-UdpSocketState @($port)).Queued -gt 0 -and [DateTime]::UtcNow -lt $deadline)
    Start-Sleep -Milliseconds 300
    $sock1 = Get-UdpSocketState @($port); $snmp1 = Get-UdpSnmp
    $row.Cpu = (Get-ProcCpuSeconds $p.Id) - $cpu0
    $row.PeakRssMb = (Get-ProcMemoryKb $p.Id 'VmHWM') / 1024
    $exited = $p.HasExited
  }
  finally {
    Stop-BenchProcess $p 60
  }
  $stat = & nfdump -R $flows -I 2>&1
  $records = 0.0
  foreach ($line in $stat) { if ($line -match '^Flows: (\d+)') { $records = [double]$Matches[1] } }
  Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
  $row.Achieved = $g.rate; $row.Sent = $g.flows; $row.SentDatagrams = $g.datagrams; $row.Expected = $g.flows; $row.GenCpu = $g.cpu_seconds
  $row.SocketDrops = $sock1.Drops - $sock0.Drops; $row.SnmpDrops = $snmp1.RcvbufErrors - $snmp0.RcvbufErrors
  $row.Received = $records; $row.Decoded = $records
  Complete-StepVerdict $row
  if ($exited) { $row.Lossless = $false; $row.Why += ', nfcapd exited during the step' }
  return $row
}

function Invoke-NodeStep($Ctx, $Nodes, [int]$Hosts, [double]$Rate, [string[]]$ExtraGenArgs = @(), [int]$SettleSeconds = 5) {
  $row = New-StepRow 'flowactors' $Rate
  $ports = @($Nodes | ForEach-Object { $_.NetFlowPort })
  $bases = @($Nodes | ForEach-Object { $_.Base })
  $targets = ($ports | ForEach-Object { "127.0.0.1:$_" }) -join ','
  $c0 = Get-NodeCounters $Ctx.Http $bases
  $snmp0 = Get-UdpSnmp; $sock0 = Get-UdpSocketState $ports
  $cpu0 = 0.0; foreach ($n in $Nodes) { $cpu0 += Get-ProcCpuSeconds $n.Process.Id; Reset-ProcPeak $n.Process.Id }
  $genArgs = @('--to', $targets, '--rate', "$Rate", '--hosts', "$Hosts", '--threads', "$(Get-GeneratorThreads $Rate)", '--seed', "$($Ctx.NextSeed++)")
  if ($ExtraGenArgs -notcontains '--flows') { $genArgs += @('--seconds', "$($Ctx.StepSeconds)") }
  $clock = [System.Diagnostics.Stopwatch]::StartNew()
  $g = Invoke-Nfgen $Ctx.Nfgen ($genArgs + $ExtraGenArgs)
  $sendEnd = $clock.Elapsed.TotalSeconds
  # Within the settle time after sending stops, everything must be decoded and applied; stop early when it is.
  $c1 = $c0; $lastApplied = 0.0; $lastChange = $sendEnd
  $deadline = $sendEnd + $SettleSeconds
  while ($true) {
    Start-Sleep -Milliseconds 250
    $c1 = Get-NodeCounters $Ctx.Http $bases
    $applied = $c1.Applied - $c0.Applied
    if ($applied -ne $lastApplied) { $lastApplied = $applied; $lastChange = $clock.Elapsed.TotalSeconds }
    $done = ($c1.Records - $c0.Records) -ge $g.flows -and $applied -ge $g.observations -and ($c1.Observed - $c0.Observed) -ge $g.observations
    if ($done -or $clock.Elapsed.TotalSeconds -ge $deadline) { break }
  }
  $sock1 = Get-UdpSocketState $ports; $snmp1 = Get-UdpSnmp
  $cpu1 = 0.0; $rss = 0.0
  foreach ($n in $Nodes) { $cpu1 += Get-ProcCpuSeconds $n.Process.Id; $rss += (Get-ProcMemoryKb $n.Process.Id 'VmHWM') / 1024 }
  $row.Achieved = $g.rate; $row.Sent = $g.flows; $row.SentDatagrams = $g.datagrams; $row.Expected = $g.observations; $row.GenCpu = $g.cpu_seconds
  $row.SocketDrops = $sock1.Drops - $sock0.Drops; $row.SnmpDrops = $snmp1.RcvbufErrors - $snmp0.RcvbufErrors
  $row.Received = $c1.Datagrams - $c0.Datagrams; $row.Decoded = $c1.Records - $c0.Records
  $row.Observed = $c1.Observed - $c0.Observed; $row.Applied = $c1.Applied - $c0.Applied
  $row.NodeDrops = $c1.NodeDrops - $c0.NodeDrops; $row.DecodeErrors = $c1.DecodeErrors - $c0.DecodeErrors
  $row.Cpu = $cpu1 - $cpu0; $row.PeakRssMb = $rss
  $row['SendSeconds'] = $g.elapsed; $row['LastAppliedSeconds'] = $lastChange; $row['MetricsOk'] = $c1.Ok
  $row['Batches'] = $c1.Batches - $c0.Batches
  # Analytics throughput in flows/s: observations applied per second from the first send to the last change of the
  # count, converted back to flows with the stream's observations per flow.
  $row['Analytics'] = if ($lastChange -gt 0 -and $g.observations -gt 0) { $row.Applied / $lastChange * ($g.flows / $g.observations) } else { 0.0 }
  Complete-StepVerdict $row
  if (-not $c1.Ok) { $row.Lossless = $false; $row.Why += ', /metrics did not answer' }
  if (@($Nodes | Where-Object { $_.Process.HasExited }).Count -gt 0) { $row.Lossless = $false; $row.Why += ', a node process exited' }
  return $row
}

# After a failed step: true once the nodes' decoded-record and applied-observation counters have not moved for 2 s
# (the backlog the step left is applied or dropped, so the next step's deltas are its own); false after TimeoutSeconds.
function Wait-NodesQuiet($Ctx, $Nodes, [double]$TimeoutSeconds = 30) {
  $bases = @($Nodes | ForEach-Object { $_.Base })
  $clock = [System.Diagnostics.Stopwatch]::StartNew()
  $last = Get-NodeCounters $Ctx.Http $bases; $since = 0.0
  while ($clock.Elapsed.TotalSeconds -lt $TimeoutSeconds) {
    Start-Sleep -Milliseconds 500
    if (@($Nodes | Where-Object { $_.Process.HasExited }).Count -gt 0) { return $false }
    $c = Get-NodeCounters $Ctx.Http $bases
    if (-not $c.Ok) { return $false }
    if ($c.Records -eq $last.Records -and $c.Applied -eq $last.Applied) { if ($clock.Elapsed.TotalSeconds - $since -ge 2) { return $true } }
    else { $since = $clock.Elapsed.TotalSeconds; $last = $c }
  }
  return $false
}

# After every (re)start: a short stream at a low rate, not judged, waited for until applied (at most 30 s), so the
# first judged step does not also pay for JIT compilation and the first allocation of the host shards.
function Invoke-WarmUp($Ctx, $Nodes, [int]$Hosts) {
  $row = Invoke-NodeStep $Ctx $Nodes $Hosts 1000 @('--flows', '2000') 30
  $row.Stage = 'warm-up'
  Write-StepRow $row
  $Ctx.WarmUps.Add($row)
  if ($Ctx.LearnSeconds -gt 0) {
    # A node in service has met its hosts: their per-window tables hold their peers and ports. A node that has not is
    # still allocating that state, and its young collections copy it into the old generation (longer pauses, in which
    # the receive sockets can overflow; bench/README.md). -LearnSeconds N measures the node users run rather than its
    # first minute; the default (0) measures the cold node, as every earlier round did.
    $row = Invoke-NodeStep $Ctx $Nodes $Hosts $Ctx.LearnRate @('--flows', "$([long]($Ctx.LearnRate * $Ctx.LearnSeconds))") 60
    $row.Stage = 'learning'
    Write-StepRow $row
    $Ctx.WarmUps.Add($row)
  }
}

# --- the search for the lossless rate -------------------------------------------------------------------------------------

function Write-StepRow($Row) {
  $ok = if ($Row.Lossless) { 'PASS' } else { 'fail' }
  Write-Host ('  {0,-10} {1,12:N0}/s offered {2,12:N0}/s achieved  sent {3,11:N0}  drops {4:N0}/{5:N0}  decoded {6,11:N0}  applied {7,11}  cpu {8,6:F1} s  rss {9,6:N0} MB  {10} ({11})' -f `
      $Row.Stage, $Row.Offered, $Row.Achieved, $Row.Sent, $Row.SocketDrops, $Row.SnmpDrops, $Row.Decoded,
      $(if ([double]::IsNaN($Row.Applied)) { '-' } else { '{0:N0}' -f $Row.Applied }), $Row.Cpu, $Row.PeakRssMb, $ok, $Row.Why)
}

# A failed step counts at the rate achieved when the generator fell short, unless that is not above the best pass (a
# loaded machine can starve the generator in one step and not in another; then the offered rate bounds the search).
function Get-FailRate([double]$Offered, $Row, [double]$Pass) {
  if ($Row.Achieved -lt $Offered -and $Row.Achieved -gt $Pass * 1.05) { return $Row.Achieved }
  return $Offered
}

# Geometric ladder from Start by Factor until a step fails (or MaxRate passes), then Bisections geometric midpoints.
# StepFn takes a rate and returns a row; Reset (optional) runs after every failed step (e.g. restarts the node).
function Find-LosslessRate([double]$Start, [double]$Factor, [double]$MaxRate, [int]$MaxSteps, [int]$Bisections, [scriptblock]$StepFn, [scriptblock]$Reset) {
  $rows = [System.Collections.Generic.List[object]]::new()
  $pass = 0.0; $fail = 0.0; $rate = $Start
  while ($rows.Count -lt $MaxSteps -and $rate -le $MaxRate) {
    $row = & $StepFn $rate
    $rows.Add($row); Write-StepRow $row
    # A pass counts at the rate actually achieved (never more than offered).
    if ($row.Lossless) { $pass = [Math]::Min($rate, $row.Achieved); $rate = $rate * $Factor }
    else { $fail = Get-FailRate $rate $row $pass; break }
  }
  if ($fail -gt 0) {
    for ($i = 0; $i -lt $Bisections -and $rows.Count -lt $MaxSteps; $i++) {
      # A failed step leaves a backlog (or a wedged process) behind: start the next one clean.
      if (-not $rows[$rows.Count - 1].Lossless -and $Reset) { & $Reset }
      $lo = if ($pass -gt 0) { $pass } else { $fail / ($Factor * $Factor) }
      $mid = [Math]::Round([Math]::Sqrt($lo * $fail))
      $row = & $StepFn $mid
      $rows.Add($row); Write-StepRow $row
      if ($row.Lossless) { $pass = [Math]::Max($pass, [Math]::Min($mid, $row.Achieved)) } else { $fail = Get-FailRate $mid $row $pass }
    }
  }
  return @{ Rows = $rows; Lossless = $pass; FirstFail = $fail; Capped = ($fail -eq 0) }
}

# --- report -------------------------------------------------------------------------------------------------------------

function Get-MachineDescription {
  $cpu = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -split ':\s*', 2)[1]
  $mem = [Math]::Round((Get-ProcMemoryKbFile '/proc/meminfo' 'MemTotal') / 1024 / 1024, 1)
  $runtime = ((& dotnet --list-runtimes) | Where-Object { $_ -like 'Microsoft.NETCore.App*' } | ForEach-Object { ($_ -split ' ')[1] }) -join ', '
  $nfdump = ((& nfdump -V 2>&1) | Select-Object -First 1)
  $os = if (Test-Path /etc/os-release) { ((Get-Content /etc/os-release | Where-Object { $_ -like 'PRETTY_NAME=*' }) -replace 'PRETTY_NAME=|"', '') } else { '' }
  return [ordered]@{
    'CPU' = "$cpu"; 'cores' = "$([Environment]::ProcessorCount)"; 'memory' = "$mem GiB"; 'OS' = "$os"
    'kernel' = "$(& uname -r)"; '.NET SDK' = "$(& dotnet --version)"; '.NET runtime' = $runtime; 'nfdump' = "$nfdump"
    'gcc' = "$((& gcc --version) | Select-Object -First 1)"; 'net.core.rmem_max' = "$(Get-Content /proc/sys/net/core/rmem_max)"
    'load average at start' = "$((Get-Content /proc/loadavg) -replace '^(\S+ \S+ \S+).*', '$1')"
  }
}

function Get-ProcMemoryKbFile([string]$File, [string]$Field) {
  foreach ($line in Get-Content $File) { if ($line -match "^${Field}:\s+(\d+) kB") { return [double]$Matches[1] } }
  return 0.0
}

function Format-Number([double]$Value) { if ([double]::IsNaN($Value)) { return '-' } return ('{0:N0}' -f $Value) }

function Format-StepTable($Rows) {
  $t = [System.Text.StringBuilder]::new()
  [void]$t.AppendLine('| offered flows/s | achieved flows/s | sent flows | kernel drops (socket / RcvbufErrors) | received datagrams | decoded records | observed | applied | node drops | applied flows/s | CPU s | peak RSS MB | result |')
  [void]$t.AppendLine('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  foreach ($r in $Rows) {
    $received = if ($r.Stage -eq 'nfcapd') { '-' } else { "$(Format-Number $r.Received) of $(Format-Number $r.SentDatagrams)" }
    $observed = if ([double]::IsNaN($r.Observed)) { '-' } else { "$(Format-Number $r.Observed) of $(Format-Number $r.Expected)" }
    $analytics = if ($r.Contains('Analytics')) { Format-Number $r['Analytics'] } else { '-' }
    [void]$t.AppendLine(('| {0} | {1} | {2} | {3} / {4} | {5} | {6} | {7} | {8} | {9} | {10} | {11:F1} | {12:N0} | {13} |' -f `
          (Format-Number $r.Offered), (Format-Number $r.Achieved), (Format-Number $r.Sent), (Format-Number $r.SocketDrops), (Format-Number $r.SnmpDrops),
          $received, (Format-Number $r.Decoded), $observed, (Format-Number $r.Applied), (Format-Number $r.NodeDrops), $analytics, $r.Cpu, $r.PeakRssMb,
          $(if ($r.Lossless) { '**lossless**' } else { $r.Why })))
  }
  return $t.ToString()
}

# One line for the warm-ups since the last call (then forgets them).
function Format-WarmUps($Ctx) {
  $parts = @($Ctx.WarmUps | ForEach-Object { '{0:N0} of {1:N0} applied in {2:F1} s' -f $_.Applied, $_.Expected, $_['LastAppliedSeconds'] })
  $Ctx.WarmUps.Clear()
  if ($parts.Count -eq 0) { return '' }
  $learning = if ($Ctx.LearnSeconds -gt 0) { " then learning ($(Format-Number ($Ctx.LearnRate * $Ctx.LearnSeconds)) flows at $(Format-Number $Ctx.LearnRate)/s)" } else { '' }
  return "Warm-up after each start (2,000 flows at 1,000/s$learning; not judged): $($parts -join '; ')."
}

function Measure-GeneratorCeiling($Ctx, [int]$Hosts, [int]$Threads, [double]$Seconds) {
  # A socket that reads nothing: every datagram costs the sender its full loopback send, then the kernel drops it.
  $sink = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::InterNetwork, [System.Net.Sockets.SocketType]::Dgram, [System.Net.Sockets.ProtocolType]::Udp)
  try {
    $sink.ReceiveBufferSize = $Ctx.SocketBuffer
    $sink.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    $port = $sink.LocalEndPoint.Port
    return Invoke-Nfgen $Ctx.Nfgen @('--to', "127.0.0.1:$port", '--rate', '0', '--seconds', "$Seconds", '--hosts', "$Hosts", '--threads', "$Threads")
  }
  finally { $sink.Dispose() }
}

function Measure-GeneratorPacing($Ctx, [double]$Rate, [double]$Seconds) {
  $sink = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::InterNetwork, [System.Net.Sockets.SocketType]::Dgram, [System.Net.Sockets.ProtocolType]::Udp)
  try {
    $sink.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    return Invoke-Nfgen $Ctx.Nfgen @('--to', "127.0.0.1:$($sink.LocalEndPoint.Port)", '--rate', "$Rate", '--seconds', "$Seconds", '--hosts', '50000', '--threads', "$(Get-GeneratorThreads $Rate)")
  }
  finally { $sink.Dispose() }
}

function Get-GeneratorSection($Ctx, [double]$Seconds) {
  $md = [System.Text.StringBuilder]::new()
  [void]$md.AppendLine('## The generator alone (nfgen against a socket that reads nothing)')
  [void]$md.AppendLine('')
  [void]$md.AppendLine('| hosts | threads | offered | achieved flows/s | datagrams | generator CPU s | CPU µs per flow |')
  [void]$md.AppendLine('|---:|---:|---:|---:|---:|---:|---:|')
  foreach ($threads in 1, 2) {
    foreach ($hosts in 50000, 1000000) {
      $g = Measure-GeneratorCeiling $Ctx $hosts $threads $Seconds
      Write-Host ('  generator ceiling: {0:N0} hosts, {1} thread(s): {2:N0} flows/s ({3:F3} CPU µs per flow)' -f $hosts, $threads, $g.rate, ($g.cpu_seconds / [Math]::Max($g.flows, 1) * 1e6))
      [void]$md.AppendLine(('| {0:N0} | {1} | unpaced | {2:N0} | {3:N0} | {4:F2} | {5:F3} |' -f $hosts, $threads, $g.rate, $g.datagrams, $g.cpu_seconds, ($g.cpu_seconds / [Math]::Max($g.flows, 1) * 1e6)))
      $Ctx.GeneratorCeiling = [Math]::Max($Ctx.GeneratorCeiling, $g.rate)
    }
  }
  foreach ($rate in 20000, 1000000, 2000000) {
    $g = Measure-GeneratorPacing $Ctx $rate $Seconds
    $err = ($g.rate - $rate) / $rate * 100
    Write-Host ('  generator pacing: offered {0:N0}/s achieved {1:N0}/s ({2:+0.00;-0.00} %), worst lag {3:F2} ms' -f $rate, $g.rate, $err, $g.max_lag_ms)
    [void]$md.AppendLine(('| 50,000 | {0} | {1:N0}/s | {2:N0} ({3:+0.00;-0.00} %, worst lag behind schedule {4:F2} ms) | {5:N0} | {6:F2} | {7:F3} |' -f `
          (Get-GeneratorThreads $rate), $rate, $g.rate, $err, $g.max_lag_ms, $g.datagrams, $g.cpu_seconds, ($g.cpu_seconds / [Math]::Max($g.flows, 1) * 1e6)))
  }
  [void]$md.AppendLine('')
  return $md.ToString()
}

function New-BenchContext([string]$Root, [int]$SocketBuffer, [double]$StepSeconds, [double]$LearnSeconds = 0, [double]$LearnRate = 400000) {
  $http = [System.Net.Http.HttpClient]::new()
  $http.Timeout = [TimeSpan]::FromSeconds(10)
  return @{
    Root = $Root; Nfgen = (Build-Nfgen $Root); SocketBuffer = $SocketBuffer; StepSeconds = $StepSeconds; NextSeed = 1
    Http = $http; GeneratorCeiling = 0.0; NfcapdBuffers = ''; NodeBuffers = ''
    WarmUps = [System.Collections.Generic.List[object]]::new(); LearnSeconds = $LearnSeconds; LearnRate = $LearnRate
  }
}

function Build-BenchNode([string]$Root) {
  Invoke-Dotnet build (Join-Path $Root 'src/FlowActors.Node') -c Release | Out-Host
  return Join-Path $Root 'src/FlowActors.Node/bin/Release/net10.0/FlowActors.Node.dll'
}

function Write-BenchResult([string]$Root, [string]$Markdown, [string]$Label) {
  $dir = Join-Path $Root 'bench/results'
  New-Item -ItemType Directory -Force $dir | Out-Null
  $slug = ($Label -replace '[^A-Za-z0-9]+', '-').Trim('-').ToLowerInvariant()
  $file = Join-Path $dir ("{0}{1}.md" -f [DateTime]::UtcNow.ToString('yyyyMMdd-HHmmss'), $(if ($slug) { "-$slug" } else { '' }))
  Set-Content -Path $file -Value $Markdown -Encoding utf8NoBOM
  Write-Host "results: $file"
  return $file
}

# --- bench-e2e ----------------------------------------------------------------------------------------------------------

<#
  For each population: nfcapd's lossless rate, then the node's, on the same generator stream and socket buffer size;
  at 1 M hosts also RSS per host. Writes bench/results/<UTC>.md ending in "ratio: X" (node ÷ nfcapd at 50 k hosts).
#>
function Invoke-BenchE2E {
  param(
    [string]$Root, [int[]]$Populations, [switch]$Quick, [double]$StepSeconds, [int]$SocketBuffer, [double]$MaxRate,
    [double]$NodeStartRate, [double]$NfcapdStartRate, [string]$Label, [switch]$SkipNfcapd, [switch]$SkipGenerator, [int]$Bisections = -1,
    [double]$LearnSeconds = 0, [double]$LearnRate = 400000, [int]$Repeat = 1, [switch]$RestartAfterFailure
  )
  if ($Repeat -lt 1) { throw "-Repeat is $Repeat; use 1 or more (runs per population)" }
  if ($StepSeconds -le 0) { $StepSeconds = if ($Quick) { 3 } else { 10 } }
  if ($Bisections -lt 0) { $Bisections = if ($Quick) { 1 } else { 3 } }
  $maxSteps = if ($Quick) { 5 } else { 10 }
  if ($NodeStartRate -le 0) { $NodeStartRate = if ($Quick) { 2000 } else { 5000 } }
  if ($NfcapdStartRate -le 0) { $NfcapdStartRate = 100000 }
  Install-BenchPackage 'nfcapd' 'nfdump'
  $nodeDll = Build-BenchNode $Root
  $ctx = New-BenchContext $Root $SocketBuffer $StepSeconds $LearnSeconds $LearnRate
  $machine = Get-MachineDescription
  $started = [DateTime]::UtcNow
  $md = [System.Text.StringBuilder]::new()
  $summary = [ordered]@{}
  try {
    [void]$md.AppendLine("# End-to-end benchmark, $($started.ToString('yyyy-MM-dd HH:mm')) UTC$(if ($Label) { " ($Label)" })")
    [void]$md.AppendLine('')
    foreach ($k in $machine.Keys) { [void]$md.AppendLine("- ${k}: $($machine[$k])") }
    [void]$md.AppendLine("- git: $((& git -C $Root rev-parse --short HEAD 2>$null)) on $((& git -C $Root rev-parse --abbrev-ref HEAD 2>$null))")
    [void]$md.AppendLine("- steps: $StepSeconds s of sending each, ladder ×4 from $(Format-Number $NfcapdStartRate) (nfcapd) and $(Format-Number $NodeStartRate) (node) flows/s, then $Bisections bisection step(s), at most $maxSteps steps; lossless = 0 socket drops, 0 RcvbufErrors, 0 node drops, every record decoded and every observation applied within 5 s after sending stops; after a failed step the node $(if ($RestartAfterFailure) { 'is restarted' } else { 'drains its backlog and goes on (restarted only if it does not drain within 30 s)' })")
    [void]$md.AppendLine("- stream: nfgen, NetFlow v9, 28 records of 45 bytes per datagram, Zipf(1.1) hosts in 10.0.0.0/8, 200,000 external peers; requested socket buffer $SocketBuffer bytes for both collectors")
    [void]$md.AppendLine('')
    if (-not $SkipGenerator) {
      Write-Host 'generator alone:' -ForegroundColor Yellow
      [void]$md.Append((Get-GeneratorSection $ctx ([Math]::Min($StepSeconds, 3))))
    }
    # Offered rates stay inside what the generator sustains (measured above), and at most 8 M flows/s.
    $maxRate = if ($MaxRate -gt 0) { $MaxRate } elseif ($ctx.GeneratorCeiling -gt 0) { [Math]::Min(8000000, 0.8 * $ctx.GeneratorCeiling) } else { 8000000 }

    # -Repeat N: each population N times, nfcapd then the node each time, so the ratio's spread from run to run shows
    # (both collectors' lossless rates move by 20-40 % between runs on a shared machine; bench/README.md).
    foreach ($hosts in $Populations) {
     for ($run = 1; $run -le $Repeat; $run++) {
      $runTag = if ($Repeat -gt 1) { " (run $run of $Repeat)" } else { '' }
      Write-Host ("population {0:N0} hosts{1}:" -f $hosts, $runTag) -ForegroundColor Yellow
      [void]$md.AppendLine(('## {0:N0} hosts{1}' -f $hosts, $runTag))
      [void]$md.AppendLine('')
      $nf = $null
      if (-not $SkipNfcapd) {
        try {
          $nf = Find-LosslessRate $NfcapdStartRate 4 $maxRate $maxSteps $Bisections { param($r) Invoke-NfcapdStep $ctx $hosts $r } $null
          [void]$md.AppendLine("### nfcapd (one socket, -B $SocketBuffer; kernel granted rb $($ctx.NfcapdBuffers))")
          [void]$md.AppendLine('')
          [void]$md.Append((Format-StepTable $nf.Rows))
          [void]$md.AppendLine('')
          [void]$md.AppendLine("nfcapd lossless: $(Format-Number $nf.Lossless) flows/s$(if ($nf.Capped) { ' (every step passed: at least this; the ladder stopped at its cap)' })")
          [void]$md.AppendLine('')
        }
        catch {
          # One stage failing (a process that would not start, say) is reported; the run goes on with the next.
          Write-Warning "nfcapd stage at $hosts hosts aborted: $_"
          [void]$md.AppendLine("### nfcapd: stage aborted: $_")
          [void]$md.AppendLine('')
          $nf = $null
        }
      }

      # The node: one process per population. After a failed step it goes on once it has drained the step's backlog (a
      # node in service is not restarted because a burst overran it); it is restarted when it does not drain in 30 s,
      # has exited, or with -RestartAfterFailure (rounds 1-9: every step after a failure then measured a fresh process,
      # which pays for tiered JIT compilation and its first allocations inside the judged step; bench/README.md).
      $nodeState = @{ Node = $null; Drained = 0; Restarted = 0 }
      $startNode = {
        if ($nodeState.Node) { Stop-BenchProcess $nodeState.Node.Process 5; Remove-Item -Recurse -Force $nodeState.Node.Data -ErrorAction SilentlyContinue }
        $nodeState.Node = $null
        $n = Start-BenchNode $nodeDll @{ FLOWACTORS__RECEIVERS__RECEIVEBUFFERBYTES = "$SocketBuffer" }
        $nodeState.Node = $n
        Wait-BenchNodeReady $n $ctx.Http
        $ctx.NodeBuffers = Get-UdpReceiveBuffers $n.NetFlowPort
        Invoke-WarmUp $ctx @($n) $hosts
      }
      $fa = $null
      try {
        & $startNode
        $afterFailure = {
          if (-not $RestartAfterFailure -and (Wait-NodesQuiet $ctx @($nodeState.Node) 30)) { $nodeState.Drained++ }
          else { $nodeState.Restarted++; & $startNode }
        }
        $fa = Find-LosslessRate $NodeStartRate 4 $maxRate $maxSteps $Bisections { param($r) Invoke-NodeStep $ctx @($nodeState.Node) $hosts $r } $afterFailure
        $sockets = (Get-UdpSocketState @($nodeState.Node.NetFlowPort)).Sockets
        [void]$md.AppendLine("### FlowActors node (Release, SQLite, $sockets sockets, ReceiveBufferBytes $SocketBuffer; kernel granted rb $($ctx.NodeBuffers))")
        [void]$md.AppendLine('')
        [void]$md.Append((Format-StepTable $fa.Rows))
        [void]$md.AppendLine('')
        [void]$md.AppendLine("FlowActors lossless: $(Format-Number $fa.Lossless) flows/s$(if ($fa.Capped) { ' (every step passed: at least this; the ladder stopped at its cap)' })")
        [void]$md.AppendLine('')
        [void]$md.AppendLine((Format-WarmUps $ctx))
        [void]$md.AppendLine('')
        [void]$md.AppendLine("After a failed step: the node drained its backlog and went on $($nodeState.Drained) time(s), was restarted $($nodeState.Restarted) time(s)$(if ($RestartAfterFailure) { ' (-RestartAfterFailure)' }).")
      }
      catch {
        Write-Warning "node stage at $hosts hosts aborted: $_"
        [void]$md.AppendLine("### FlowActors node: stage aborted: $_")
        if ($nodeState.Node) { [void]$md.AppendLine(''); [void]$md.AppendLine("Last node log lines:`n`n``````n$((Get-Content $nodeState.Node.Log -Tail 15 -ErrorAction SilentlyContinue) -join "`n")`n``````") }
      }
      finally {
        if ($nodeState.Node) {
          Stop-BenchProcess $nodeState.Node.Process 60
          Remove-Item -Recurse -Force $nodeState.Node.Data -ErrorAction SilentlyContinue
        }
      }
      $nodeRate = if ($fa) { $fa.Lossless } else { [double]::NaN }
      $ratio = if ($nf -and $nf.Lossless -gt 0 -and $fa) { $fa.Lossless / $nf.Lossless } else { [double]::NaN }
      if ($nf -and $fa) { [void]$md.AppendLine(''); [void]$md.AppendLine(('ratio at {0:N0} hosts: {1:F4}' -f $hosts, $ratio)) }
      [void]$md.AppendLine('')
      if (-not $summary.Contains("$hosts")) { $summary["$hosts"] = [System.Collections.Generic.List[object]]::new() }
      $summary["$hosts"].Add(@{ Run = $run; Nfcapd = $(if ($nf) { $nf.Lossless } else { [double]::NaN }); Node = $nodeRate; Ratio = $ratio })

      if ($hosts -ge 1000000 -and $run -eq 1) {
        try { [void]$md.Append((Measure-RssPerHost $ctx $nodeDll $hosts $SocketBuffer $(if ($fa) { $fa.Lossless } else { 0 }) -Quick:$Quick)) }
        catch { Write-Warning "RSS per host aborted: $_"; [void]$md.AppendLine("### RSS per host: aborted: $_"); [void]$md.AppendLine('') }
      }
     }
    }

    [void]$md.AppendLine('## Summary')
    [void]$md.AppendLine('')
    [void]$md.AppendLine('| hosts | run | nfcapd lossless flows/s | FlowActors lossless flows/s | ratio |')
    [void]$md.AppendLine('|---:|---:|---:|---:|---:|')
    foreach ($h in $summary.Keys) {
      foreach ($s in $summary[$h]) {
        [void]$md.AppendLine(('| {0:N0} | {1} | {2} | {3} | {4} |' -f [int]$h, $s.Run, (Format-Number $s.Nfcapd), (Format-Number $s.Node), (Format-Ratio $s.Ratio)))
      }
    }
    [void]$md.AppendLine('')
    if ($Repeat -gt 1) {
      foreach ($h in $summary.Keys) {
        $ratios = @($summary[$h] | ForEach-Object { $_.Ratio } | Where-Object { -not [double]::IsNaN($_) })
        if ($ratios.Count -eq 0) { continue }
        $sorted = @($ratios | Sort-Object)
        [void]$md.AppendLine(('- median ratio at {0:N0} hosts over {1} run(s): {2} (lowest {3}, highest {4})' -f [int]$h, $ratios.Count, (Format-Ratio (Get-Median $ratios)), (Format-Ratio $sorted[0]), (Format-Ratio $sorted[-1])))
      }
    }
    [void]$md.AppendLine("- load average at end: $((Get-Content /proc/loadavg) -replace '^(\S+ \S+ \S+).*', '$1'); run took $([Math]::Round(([DateTime]::UtcNow - $started).TotalMinutes, 1)) min")
    [void]$md.AppendLine('')
    # The median over the runs (the one run's ratio without -Repeat).
    $median50k = if ($summary.Contains('50000')) { Get-Median @($summary['50000'] | ForEach-Object { $_.Ratio }) } else { [double]::NaN }
    $ratio50k = if (-not [double]::IsNaN($median50k)) { '{0:F4}' -f $median50k } else { 'n/a (no nfcapd and node figures at 50,000 hosts in this run)' }
    [void]$md.AppendLine("ratio: $ratio50k")
    $text = $md.ToString()
    Write-Host ''
    Write-Host $text
    Write-BenchResult $Root $text $Label | Out-Null
  }
  finally {
    $ctx.Http.Dispose()
    Remove-BenchTemp
  }
}

# The median of the values that are numbers (NaN when none is).
function Get-Median([double[]]$Values) {
  $v = @($Values | Where-Object { -not [double]::IsNaN($_) } | Sort-Object)
  if ($v.Count -eq 0) { return [double]::NaN }
  $mid = [Math]::Floor($v.Count / 2)
  if ($v.Count % 2 -eq 1) { return $v[$mid] }
  return ($v[$mid - 1] + $v[$mid]) / 2
}

function Format-Ratio([double]$Ratio) { if ([double]::IsNaN($Ratio)) { '-' } else { '{0:F4}' -f $Ratio } }

# RSS per host: an idle node's RSS, then every one of Hosts hosts sent once (nfgen --sweep) and applied; the difference
# divided by the hosts applied. Bounded: waits at most 120 s (Quick: 30 s) after sending for the host actors.
function Measure-RssPerHost($Ctx, [string]$NodeDll, [int]$Hosts, [int]$SocketBuffer, [double]$LosslessRate, [switch]$Quick) {
  Write-Host ('RSS per host at {0:N0} hosts:' -f $Hosts) -ForegroundColor Yellow
  $n = Start-BenchNode $NodeDll @{ FLOWACTORS__RECEIVERS__RECEIVEBUFFERBYTES = "$SocketBuffer" }
  try {
    Wait-BenchNodeReady $n $Ctx.Http
    Start-Sleep -Seconds 5  # let start-up settle (JIT, first GCs) before taking the idle figure
    $idleKb = Get-ProcMemoryKb $n.Process.Id 'VmRSS'
    # At the lossless rate found above, but sending for at most a minute (bounded run; a slower node shows as incomplete).
    $rate = [Math]::Max([Math]::Ceiling($Hosts / 60.0), [Math]::Min($LosslessRate, 2000000))
    $wait = if ($Quick) { 30 } else { 120 }
    $row = Invoke-NodeStep $Ctx @($n) $Hosts $rate @('--sweep', '--flows', "$Hosts") $wait
    Write-StepRow $row
    $rssKb = Get-ProcMemoryKb $n.Process.Id 'VmRSS'
    $hwmKb = Get-ProcMemoryKb $n.Process.Id 'VmHWM'
    $applied = $row.Applied
    $perHost = if ($applied -gt 0) { ($rssKb - $idleKb) * 1024 / $applied } else { [double]::NaN }
    $complete = $applied -ge $Hosts
    # Incomplete: the growth includes every observation still queued (decoded, not yet applied), so it is no per-host
    # figure; it is printed with both divisors and flagged, never as the result.
    $line = if ($complete) { 'rss per host: {0:N0} bytes ({1:N0} hosts, RSS {2:N0} MB - idle {3:N0} MB)' -f $perHost, $Hosts, ($rssKb / 1024), ($idleKb / 1024) }
            else { 'rss per host: not measured (incomplete: {0:N0} of {1:N0} hosts applied and {2:N0} observed within {3} s after sending; RSS {4:N0} MB - idle {5:N0} MB = {6:N0} bytes per applied host, {7:N0} per observed one, backlog included)' -f `
                $applied, $Hosts, $row.Observed, $wait, ($rssKb / 1024), ($idleKb / 1024), $perHost, $(if ($row.Observed -gt 0) { ($rssKb - $idleKb) * 1024 / $row.Observed } else { [double]::NaN }) }
    Write-Host $line
    $md = [System.Text.StringBuilder]::new()
    [void]$md.AppendLine(('### RSS per host at {0:N0} hosts' -f $Hosts))
    [void]$md.AppendLine('')
    [void]$md.AppendLine(('Fresh node; idle RSS after ready + 5 s: {0:N0} MB. Every host sent once (nfgen --sweep, outbound flows, one observation each) at {1:N0} flows/s; waited up to {2} s for the host actors.' -f ($idleKb / 1024), $rate, $wait))
    [void]$md.AppendLine('')
    [void]$md.Append((Format-StepTable @($row)))
    [void]$md.AppendLine('')
    [void]$md.AppendLine("RSS after: $([Math]::Round($rssKb / 1024)) MB (peak $([Math]::Round($hwmKb / 1024)) MB).")
    [void]$md.AppendLine('')
    [void]$md.AppendLine($line)
    [void]$md.AppendLine('')
    return $md.ToString()
  }
  finally {
    Stop-BenchProcess $n.Process 60
  }
}

# --- bench-gen ----------------------------------------------------------------------------------------------------------

function Invoke-BenchGenerator {
  param([string]$Root, [int]$SocketBuffer, [double]$Seconds = 3)
  $ctx = New-BenchContext $Root $SocketBuffer $Seconds
  try {
    $text = "# Generator ceiling, $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm')) UTC`n`n"
    $machine = Get-MachineDescription
    foreach ($k in $machine.Keys) { $text += "- ${k}: $($machine[$k])`n" }
    $text += "`n" + (Get-GeneratorSection $ctx $Seconds)
    Write-Host $text
  }
  finally { $ctx.Http.Dispose(); Remove-BenchTemp }
}

# --- bench-cluster ------------------------------------------------------------------------------------------------------

function Start-BenchPostgres {
  $bin = Get-ChildItem /usr/lib/postgresql -Directory -ErrorAction SilentlyContinue |
    Sort-Object { [int]$_.Name } -Descending | ForEach-Object { Join-Path $_.FullName 'bin' } |
    Where-Object { Test-Path (Join-Path $_ 'initdb') } | Select-Object -First 1
  if (-not $bin) { Install-BenchPackage 'pg_ctlcluster' 'postgresql'; return Start-BenchPostgres }
  $dir = New-BenchTempDir 'flowactors-bench-pg'
  $port = Get-BenchFreePort
  $data = Join-Path $dir 'data'; $socket = Join-Path $dir 'socket'
  New-Item -ItemType Directory $socket | Out-Null
  $asRoot = (& id -u) -eq '0'
  if ($asRoot) { & chown -R postgres:postgres $dir }
  $run = {
    param([string]$Tool, [string[]]$ToolArgs)
    $path = Join-Path $bin $Tool
    if ($asRoot) { & runuser -u postgres -- $path @ToolArgs } else { & $path @ToolArgs }
    if ($LASTEXITCODE -ne 0) { throw "$Tool failed with exit code $LASTEXITCODE" }
  }.GetNewClosure()
  & $run 'initdb' @('-D', $data, '-U', 'flowactors', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync') | Out-Null
  & $run 'pg_ctl' @('-D', $data, '-l', (Join-Path $dir 'server.log'), '-w', '-t', '60', '-o',
    "-p $port -k $socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", 'start') | Out-Null
  return @{ Bin = $bin; Dir = $dir; Data = $data; Port = $port; Run = $run
    Psql = { param([string]$Sql) & (Join-Path $bin 'psql') -h 127.0.0.1 -p $port -U flowactors -d postgres -v ON_ERROR_STOP=1 -qc $Sql | Out-Null; if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" } }.GetNewClosure() }
}

function Stop-BenchPostgres($Pg) {
  if ($null -eq $Pg) { return }
  try { & $Pg.Run 'pg_ctl' @('-D', $Pg.Data, '-m', 'immediate', '-w', '-t', '30', 'stop') | Out-Null } catch { Write-Warning "$_" }
}

<#
  1, 2, 3 node processes on loopback, one PostgreSQL, every node an edge and analytics member (seeds: the first node);
  the generator spreads datagrams over every node's receiver. For each node count: the lossless rate (same ladder and
  loss definition as bench-e2e; the cluster is restarted on a fresh database after a failed step) and the analytics
  throughput of every step (observations applied by all nodes' host actors ÷ time from the first send to the last
  applied, in flows/s).
#>
function Invoke-BenchCluster {
  param([string]$Root, [int[]]$NodeCounts, [int]$Hosts, [double]$Rate, [double]$StepSeconds, [int]$SocketBuffer, [double]$MaxRate, [string]$Label, [switch]$Quick)
  if ($StepSeconds -le 0) { $StepSeconds = if ($Quick) { 3 } else { 10 } }
  if ($Rate -le 0) { $Rate = if ($Quick) { 2000 } else { 5000 } }
  if ($MaxRate -le 0) { $MaxRate = 8000000 }
  $maxSteps = if ($Quick) { 4 } else { 8 }
  $bisections = if ($Quick) { 1 } else { 2 }
  $nodeDll = Build-BenchNode $Root
  $ctx = New-BenchContext $Root $SocketBuffer $StepSeconds $LearnSeconds $LearnRate
  $machine = Get-MachineDescription
  $started = [DateTime]::UtcNow
  $md = [System.Text.StringBuilder]::new()
  [void]$md.AppendLine("# Cluster scaling, $($started.ToString('yyyy-MM-dd HH:mm')) UTC$(if ($Label) { " ($Label)" })")
  [void]$md.AppendLine('')
  foreach ($k in $machine.Keys) { [void]$md.AppendLine("- ${k}: $($machine[$k])") }
  [void]$md.AppendLine("- git: $((& git -C $Root rev-parse --short HEAD 2>$null)) on $((& git -C $Root rev-parse --abbrev-ref HEAD 2>$null)); one throw-away PostgreSQL (fsync off) for all nodes, a fresh database per cluster start")
  [void]$md.AppendLine("- stream: nfgen, $(Format-Number $Hosts) Zipf(1.1) hosts, datagrams spread round-robin over every node's NetFlow receiver; $StepSeconds s per step, ladder ×4 from $(Format-Number $Rate) flows/s, $bisections bisection step(s), at most $maxSteps steps; lossless as in bench-e2e")
  [void]$md.AppendLine('')
  $summary = [System.Collections.Generic.List[string]]::new()
  $pg = $null
  $cluster = @{ Nodes = @(); Starts = 0; Spread = ''; SpreadSeconds = 0.0 }
  try {
    $pg = Start-BenchPostgres
    foreach ($count in $NodeCounts) {
      Write-Host "cluster of $count node(s):" -ForegroundColor Yellow
      $startCluster = {
        foreach ($n in $cluster.Nodes) { Stop-BenchProcess $n.Process 5 }
        $cluster.Nodes = @()
        $cluster.Starts++
        $db = "bench_$($cluster.Starts)"
        & $pg.Psql "CREATE DATABASE $db"
        # Every node's seed is the first node (itself included, so it forms the cluster; it starts first).
        $seedPort = Get-BenchFreePort
        $settings = @{
          FLOWACTORS__PERSISTENCE__PROVIDER = 'postgresql'
          FLOWACTORS__PERSISTENCE__CONNECTIONSTRING = "Host=127.0.0.1;Port=$($pg.Port);Username=flowactors;Database=$db"
          FLOWACTORS__RECEIVERS__RECEIVEBUFFERBYTES = "$SocketBuffer"
          FLOWACTORS__CLUSTER__SEEDS = "akka.tcp://flowactors@127.0.0.1:$seedPort"
        }
        for ($i = 0; $i -lt $count; $i++) {
          $n = Start-BenchNode $nodeDll $settings $(if ($i -eq 0) { $seedPort } else { 0 })
          $cluster.Nodes += $n
          if ($i -eq 0) { Wait-BenchNodeReady $n $ctx.Http }
        }
        foreach ($n in $cluster.Nodes) { Wait-BenchNodeReady $n $ctx.Http }
        Wait-ClusterMembers $ctx.Http $cluster.Nodes $count
        # Steps run on a cluster whose shards are spread: before that, every host lives on the first node, and a shard
        # hand-off drops the messages its owner buffered meanwhile (Akka), which would be judged as loss.
        $spread = Wait-ClusterShardsSpread $ctx.Http $cluster.Nodes
        $cluster.Spread = $spread.Spread
        $cluster.SpreadSeconds = $spread.Seconds
        Invoke-WarmUp $ctx $cluster.Nodes $Hosts
      }
      try {
        & $startCluster
        $res = Find-LosslessRate $Rate 4 $MaxRate $maxSteps $bisections { param($r) Invoke-NodeStep $ctx $cluster.Nodes $Hosts $r } $startCluster
        $best = ($res.Rows | ForEach-Object { $_['Analytics'] } | Measure-Object -Maximum).Maximum
        Write-Host ('  {0} node(s): lossless {1:N0} flows/s; best analytics throughput {2:N0} flows/s' -f $count, $res.Lossless, $best)
        [void]$md.AppendLine("## $count node(s)")
        [void]$md.AppendLine('')
        [void]$md.Append((Format-StepTable $res.Rows))
        [void]$md.AppendLine('')
        [void]$md.AppendLine((Format-WarmUps $ctx))
        [void]$md.AppendLine('')
        [void]$md.AppendLine("Host shards per node before the first step: $($cluster.Spread) (spread $([Math]::Round($cluster.SpreadSeconds, 1)) s after the members were Up, last start).")
        [void]$md.AppendLine('')
        $summary.Add(('| {0} | {1}{2} | {3} |' -f $count, (Format-Number $res.Lossless), $(if ($res.Capped) { ' (cap)' } else { '' }), (Format-Number $best)))
      }
      finally {
        foreach ($n in $cluster.Nodes) { Stop-BenchProcess $n.Process 60 }
        $cluster.Nodes = @()
      }
    }
    [void]$md.AppendLine('## Summary')
    [void]$md.AppendLine('')
    [void]$md.AppendLine('| nodes | lossless flows/s | analytics flows/s (best step) |')
    [void]$md.AppendLine('|---:|---:|---:|')
    foreach ($line in $summary) { [void]$md.AppendLine($line) }
    [void]$md.AppendLine('')
    [void]$md.AppendLine('analytics flows/s = observations applied by all host actors ÷ (time from the first send to the last change of that count, within the 5 s after sending) × flows per observation of the stream.')
    [void]$md.AppendLine('')
    [void]$md.AppendLine("- load average at end: $((Get-Content /proc/loadavg) -replace '^(\S+ \S+ \S+).*', '$1'); run took $([Math]::Round(([DateTime]::UtcNow - $started).TotalMinutes, 1)) min")
    $text = $md.ToString()
    Write-Host ''
    Write-Host $text
    Write-BenchResult $Root $text "cluster$(if ($Label) { "-$Label" })" | Out-Null
  }
  finally {
    foreach ($n in $cluster.Nodes) { Stop-BenchProcess $n.Process 10 }
    Stop-BenchPostgres $pg
    $ctx.Http.Dispose()
    Remove-BenchTemp
  }
}

# Waits until every node holds at least 90 % of an even share of the host shards; returns the seconds it took and the
# shards per node.
function Wait-ClusterShardsSpread([System.Net.Http.HttpClient]$Http, $Nodes, [int]$TimeoutSeconds = 90) {
  $started = [DateTime]::UtcNow
  $deadline = $started.AddSeconds($TimeoutSeconds)
  $counts = @()
  while ($true) {
    try {
      $stats = $Http.GetStringAsync("$($Nodes[0].Base)/api/sharding/shard-stats?type=host").GetAwaiter().GetResult() | ConvertFrom-Json
      $counts = @($stats.regions | ForEach-Object { [int]$_.shards })
      $total = ($counts | Measure-Object -Sum).Sum
      $min = [Math]::Floor(0.9 * $total / $Nodes.Count)
      $short = @($counts | Where-Object { $_ -lt $min })
      if ($counts.Count -eq $Nodes.Count -and $total -gt 0 -and $short.Count -eq 0) {
        return @{ Seconds = ([DateTime]::UtcNow - $started).TotalSeconds; Spread = ($counts -join '/') }
      }
    } catch [System.Net.Http.HttpRequestException] { }
    if ([DateTime]::UtcNow -gt $deadline) { throw "host shards not spread over $($Nodes.Count) nodes within $TimeoutSeconds s (per node: $($counts -join '/'))" }
    Start-Sleep -Milliseconds 500
  }
}

function Wait-ClusterMembers([System.Net.Http.HttpClient]$Http, $Nodes, [int]$Count, [int]$TimeoutSeconds = 120) {
  $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
  while ($true) {
    $up = 0.0
    try { $up = Get-BenchMetricSum ($Http.GetStringAsync("$($Nodes[0].Base)/metrics").GetAwaiter().GetResult()) 'flowactors_cluster_members\{status="up"\}' } catch { }
    if ($up -ge $Count) { return }
    if ([DateTime]::UtcNow -gt $deadline) { throw "cluster did not reach $Count members within $TimeoutSeconds s" }
    Start-Sleep -Milliseconds 500
  }
}
