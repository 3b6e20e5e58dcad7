#!/usr/bin/env pwsh
<#
.SYNOPSIS
  FlowActors build script. Run as: dotnet tool restore; dotnet pwsh ./build.ps1 <target>
.DESCRIPTION
  Targets:
    build     restore and build the solution (Release)
    test      build, then run every test project; prints "N passed, N failed" at the end
    bench     run the BenchmarkDotNet micro benchmarks (pass a filter with -Filter)
    fuzz      long decoder fuzz run (-Iterations, default 5,000,000)
    bench-e2e lossless rate of nfcapd and of one node per host population, ratio at 50 k hosts, RSS per host at 1 M
              (-Populations 1000,10000,50000,1000000 -Quick -StepSeconds -SocketBuffer -MaxRate -Label; -LearnSeconds N
              lets each node learn its hosts for N s at -LearnRate, default 400000 flows/s, before its ladder; -RaiseRmemMax
              sets net.core.rmem_max to -SocketBuffer for the run, as root, and restores it after; -Repeat N measures each
              population N times, nfcapd then the node each time, and reports the median ratio; -RestartAfterFailure
              restarts the node after every failed step instead of letting it drain and go on); bench/README.md
    bench-gen   the load generator alone (bench/nfgen) against a socket that reads nothing: its ceiling and pacing
    bench-cluster analytics flows/s of 1, 2, 3 node processes on one PostgreSQL (-NodeCounts -Hosts -Rate -StepSeconds)
    cluster   run -Nodes N (default 3) node processes on loopback as Kubernetes configures the pods, on one throw-away
              PostgreSQL, with a shared file sink; prints each node's endpoints; Ctrl-C stops everything
    eval      detection scoreboard: real-tool captures and benign networks replayed through FlowAnalyzer (-Case NAME keeps matching cases)
    publish   publish the node and flowctl to artifacts/publish
    default   build and test
#>
param(
  [Parameter(Position = 0)][string]$Target = 'default',
  [string]$Configuration = 'Release',
  [string]$Filter = '*',
  [long]$Iterations = 5000000,
  [int]$Hosts = 50000,
  [long]$Rate = 0,
  [string]$Populations = '1000,10000,50000,1000000',
  [switch]$Quick,
  [double]$StepSeconds = 0,
  [int]$SocketBuffer = 8388608,
  [double]$MaxRate = 0,
  [string]$NodeCounts = '1,2,3',
  [string]$Label = '',
  [switch]$SkipNfcapd,
  [switch]$SkipGenerator,
  [double]$LearnSeconds = 0,
  [double]$LearnRate = 400000,
  [int]$Repeat = 1,
  [switch]$RaiseRmemMax,
  [switch]$RestartAfterFailure,
  [string]$Case = '',
  [int]$Nodes = 3
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$sln = Join-Path $root 'FlowActors.sln'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Dotnet {
  param([Parameter(ValueFromRemainingArguments = $true)][string[]]$Arguments)
  Write-Host "> dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
  & dotnet @Arguments
  if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
  Invoke-Dotnet build $sln -c $Configuration
}

function Invoke-Test {
  Invoke-Build
  $results = Join-Path $root 'artifacts/test-results'
  if (Test-Path $results) { Remove-Item -Recurse -Force $results }
  $projects = Get-ChildItem (Join-Path $root 'tests') -Recurse -Filter '*.Tests.csproj' | Sort-Object FullName
  $failedProjects = @()
  foreach ($p in $projects) {
    Write-Host "> dotnet test $($p.Name)" -ForegroundColor Cyan
    & dotnet test $p.FullName -c $Configuration --no-build --logger "trx;LogFilePrefix=$($p.BaseName)" --results-directory $results
    if ($LASTEXITCODE -ne 0) { $failedProjects += $p.BaseName }
  }
  $passed = 0; $failed = 0; $skipped = 0
  foreach ($trx in (Get-ChildItem $results -Filter '*.trx' -ErrorAction SilentlyContinue)) {
    [xml]$x = Get-Content $trx.FullName
    $c = $x.TestRun.ResultSummary.Counters
    $passed += [int]$c.passed; $failed += [int]$c.failed
    $skipped += [int]$c.notExecuted
  }
  Write-Host ''
  Write-Host "test: $passed passed, $failed failed, $skipped skipped"
  if ($failedProjects.Count -gt 0) { throw "failing test projects: $($failedProjects -join ', ')" }
  if ($passed -eq 0) { throw 'no test ran' }
}

function Invoke-Bench {
  Invoke-Dotnet run -c Release --project (Join-Path $root 'bench/FlowActors.Benchmarks') -- --filter $Filter
}

function Invoke-Fuzz {
  $env:FLOWACTORS_FUZZ_ITERATIONS = "$Iterations"
  try {
    Invoke-Dotnet test (Join-Path $root 'tests/FlowActors.Protocols.Tests') -c $Configuration --filter 'FullyQualifiedName~Fuzz'
  } finally {
    Remove-Item Env:FLOWACTORS_FUZZ_ITERATIONS -ErrorAction SilentlyContinue
  }
}

function Get-FreePort([switch]$Udp) {
  if ($Udp) {
    $s = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    try { return $s.Client.LocalEndPoint.Port } finally { $s.Dispose() }
  }
  $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
  $l.Start()
  try { return $l.LocalEndpoint.Port } finally { $l.Stop() }
}

function Get-ProcessCpuSeconds([int]$ProcessId) {
  # utime + stime from /proc/PID/stat, in clock ticks of 1/100 s (Linux USER_HZ).
  $fields = (Get-Content "/proc/$ProcessId/stat" -Raw).Split(') ')[1].Split(' ')
  return ([double]$fields[11] + [double]$fields[12]) / 100.0
}

function Get-MetricSum([string]$Metrics, [string]$Name) {
  $sum = 0.0
  foreach ($line in $Metrics -split "`n") {
    if ($line -match "^$Name(_total)?(\{[^}]*\})? ([0-9.eE+-]+)") { $sum += [double]$Matches[3] }
  }
  return $sum
}

# End-to-end benchmarks (bench-e2e, bench-gen, bench-cluster) live in bench/e2e/BenchE2E.ps1 (bench/README.md),
# dot-sourced by their targets below.

# The detection scoreboard (eval/README.md): exits non-zero when a goal is missed.
function Invoke-Eval {
  $evalArgs = @('run', '-c', $Configuration, '--project', (Join-Path $root 'eval/FlowActors.Eval'), '--')
  if ($Case) { $evalArgs += $Case }
  Invoke-Dotnet @evalArgs
}

function Invoke-Publish {
  $out = Join-Path $root 'artifacts/publish'
  Invoke-Dotnet publish (Join-Path $root 'src/FlowActors.Cli') -c $Configuration -o (Join-Path $out 'flowctl')
  Invoke-Dotnet publish (Join-Path $root 'src/FlowActors.Node') -c $Configuration -o (Join-Path $out 'node')
}

# A local cluster as the StatefulSet runs it: FLOWACTORS__CLUSTER__HOSTNAME/PORT/SEEDS and PostgreSQL persistence per
# pod, here N processes on loopback with free ports, one throw-away PostgreSQL (bench/e2e/BenchE2E.ps1 helpers) and one
# shared JSON-lines file as the SIEM. Runs until Ctrl-C (or until every node has exited), then stops and deletes it all.
function Invoke-Cluster([int]$Count) {
  if ($Count -lt 1) { throw "-Nodes must be at least 1 (got $Count)" }
  $nodeDll = Build-BenchNode $root
  Invoke-Dotnet build (Join-Path $root 'src/FlowActors.Cli') -c Release | Out-Host
  $flowctl = Join-Path $root 'src/FlowActors.Cli/bin/Release/net10.0/flowctl.dll'
  $http = [System.Net.Http.HttpClient]::new()
  $http.Timeout = [TimeSpan]::FromSeconds(5)
  $pg = $null
  $nodes = @()
  try {
    $pg = Start-BenchPostgres
    $dir = New-BenchTempDir 'flowactors-cluster'
    $sink = Join-Path $dir 'siem/alerts.jsonl'
    New-Item -ItemType Directory (Split-Path $sink) | Out-Null
    $seedPort = Get-BenchFreePort
    # Every node's seed is the first node, as the StatefulSet's pod 0 (it starts first and forms the cluster).
    $settings = @{
      FLOWACTORS__CLUSTER__HOSTNAME = '127.0.0.1'
      FLOWACTORS__CLUSTER__SEEDS__0 = "akka.tcp://flowactors@127.0.0.1:$seedPort"
      FLOWACTORS__PERSISTENCE__PROVIDER = 'postgresql'
      FLOWACTORS__PERSISTENCE__CONNECTIONSTRING = "Host=127.0.0.1;Port=$($pg.Port);Username=flowactors;Database=postgres"
      FLOWACTORS__FORWARDER__SINKS__2__KIND = 'file'
      FLOWACTORS__FORWARDER__SINKS__2__NAME = 'siem'
      FLOWACTORS__FORWARDER__SINKS__2__PATH = $sink
    }
    for ($i = 0; $i -lt $Count; $i++) {
      $s = $settings.Clone()
      $s.FLOWACTORS__RECEIVERS__IPFIXPORT = "$(Get-BenchFreePort -Udp)"
      $s.FLOWACTORS__RECEIVERS__SFLOWPORT = "$(Get-BenchFreePort -Udp)"
      $n = Start-BenchNode $nodeDll $s $(if ($i -eq 0) { $seedPort } else { 0 })
      $n.Settings = $s
      $nodes += $n
      if ($i -eq 0) { Wait-BenchNodeReady $n $http }
    }
    foreach ($n in $nodes) { Wait-BenchNodeReady $n $http }
    Wait-ClusterMembers $http $nodes $Count
    Write-Host ''
    Write-Host "cluster of $Count node(s) up; PostgreSQL on 127.0.0.1:$($pg.Port) (user flowactors, database postgres); SIEM file $sink" -ForegroundColor Green
    for ($i = 0; $i -lt $Count; $i++) {
      $n = $nodes[$i]
      Write-Host ("node {0}: pid {1}, remoting akka.tcp://flowactors@127.0.0.1:{2}, operator {3}, NetFlow udp/{4}, IPFIX udp/{5}, sFlow udp/{6}" -f `
        $i, $n.Process.Id, $n.RemotingPort, $n.Base, $n.NetFlowPort, $n.Settings.FLOWACTORS__RECEIVERS__IPFIXPORT, $n.Settings.FLOWACTORS__RECEIVERS__SFLOWPORT)
      Write-Host "        data $($n.Data) (operator token: $(Join-Path $n.Data 'operator-token')), log $($n.Log)"
    }
    Write-Host ''
    Write-Host "flowctl on this machine (reads the token from the data directory):"
    Write-Host "  FLOWACTORS__DATADIRECTORY=$($nodes[0].Data) dotnet $flowctl 127.0.0.1:$($nodes[0].OperatorPort) cluster show"
    Write-Host "traffic: dotnet $flowctl generate --to 127.0.0.1:$($nodes[0].NetFlowPort) --flows 100000 --rate 5000"
    Write-Host 'Ctrl-C stops every node and PostgreSQL.' -ForegroundColor Yellow
    while (@($nodes | Where-Object { -not $_.Process.HasExited }).Count -gt 0) {
      foreach ($n in $nodes) {
        if ($n.Process.HasExited -and -not $n.ContainsKey('Reported')) {
          Write-Warning "node on $($n.Base) exited with $($n.Process.ExitCode) (log: $($n.Log))"
          $n.Reported = $true
        }
      }
      Start-Sleep -Milliseconds 500
    }
    Write-Warning 'every node has exited'
  }
  finally {
    Write-Host 'stopping the cluster...'
    foreach ($n in $nodes) { Stop-BenchProcess $n.Process 30 }
    Stop-BenchPostgres $pg
    $http.Dispose()
    Remove-BenchTemp
  }
}

# Linux caps every socket's receive buffer at net.core.rmem_max: a bench with a -SocketBuffer above it would compare
# collectors at the cap, not at the size asked. -RaiseRmemMax lifts the cap for the run (both collectors get the same
# buffer) and puts the old value back, even when the bench fails.
$rmemRestore = $null
if ($RaiseRmemMax -and $Target -in 'bench-e2e', 'bench-cluster', 'bench-gen') {
  $rmemFile = '/proc/sys/net/core/rmem_max'
  $rmemOld = [long](Get-Content $rmemFile)
  if ($rmemOld -lt $SocketBuffer) {
    # Through sysctl: PowerShell's Set-Content to procfs reports success and leaves the value as it was.
    & sysctl -q -w "net.core.rmem_max=$SocketBuffer"
    if ($LASTEXITCODE -ne 0 -or [long](Get-Content $rmemFile) -lt $SocketBuffer) {
      throw "-RaiseRmemMax: cannot set net.core.rmem_max to $SocketBuffer (run as root, or: sudo sysctl -w net.core.rmem_max=$SocketBuffer)"
    }
    $rmemRestore = $rmemOld
    Write-Host "net.core.rmem_max: $rmemOld -> $SocketBuffer for this run" -ForegroundColor Yellow
  }
}

try {
switch ($Target) {
  'build'   { Invoke-Build }
  'test'    { Invoke-Test }
  'bench'   { Invoke-Bench }
  'fuzz'    { Invoke-Fuzz }
  'bench-e2e' { . (Join-Path $root 'bench/e2e/BenchE2E.ps1'); Invoke-BenchE2E -Root $root -Populations ([int[]]($Populations -split ',')) -Quick:$Quick -StepSeconds $StepSeconds -SocketBuffer $SocketBuffer -MaxRate $MaxRate -Label $Label -SkipNfcapd:$SkipNfcapd -SkipGenerator:$SkipGenerator -LearnSeconds $LearnSeconds -LearnRate $LearnRate -Repeat $Repeat -RestartAfterFailure:$RestartAfterFailure }
  'bench-gen' { . (Join-Path $root 'bench/e2e/BenchE2E.ps1'); Invoke-BenchGenerator -Root $root -SocketBuffer $SocketBuffer -Seconds $(if ($StepSeconds -gt 0) { $StepSeconds } else { 3 }) }
  'bench-cluster' { . (Join-Path $root 'bench/e2e/BenchE2E.ps1'); Invoke-BenchCluster -Root $root -NodeCounts ([int[]]($NodeCounts -split ',')) -Hosts $Hosts -Rate $Rate -StepSeconds $StepSeconds -SocketBuffer $SocketBuffer -MaxRate $MaxRate -Label $Label -Quick:$Quick }
  'cluster' { . (Join-Path $root 'bench/e2e/BenchE2E.ps1'); Invoke-Cluster -Count $Nodes }
  'publish' { Invoke-Publish }
  'eval'    { Invoke-Eval }
  'default' { Invoke-Test }
  default   { throw "unknown target '$Target' (build, test, bench, bench-e2e, bench-gen, bench-cluster, cluster, fuzz, eval, publish, default)" }
}
}
finally {
  if ($null -ne $rmemRestore) {
    & sysctl -q -w "net.core.rmem_max=$rmemRestore"
    Write-Host "net.core.rmem_max: restored to $rmemRestore" -ForegroundColor Yellow
  }
}
