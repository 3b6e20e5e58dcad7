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
    bench-e2e end-to-end throughput of one node: flowctl generate -> UDP -> decode -> host actors (-Flows, -Hosts, -Rate)
    eval      detection scoreboard: real-tool captures and benign networks replayed through FlowAnalyzer (-Case NAME keeps matching cases)
    publish   publish the node and flowctl to artifacts/publish
    default   build and test
#>
param(
  [Parameter(Position = 0)][string]$Target = 'default',
  [string]$Configuration = 'Release',
  [string]$Filter = '*',
  [long]$Iterations = 5000000,
  [long]$Flows = 5000000,
  [int]$Hosts = 1000,
  [long]$Rate = 0,
  [switch]$InternalPeers,
  [string]$Case = ''
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

# End to end through one node: flowctl generate sends NetFlow v9 over loopback UDP; the node decodes, batches per host,
# and its host actors apply the observations. Throughput = observations applied / time from first send to last applied.
function Invoke-BenchE2E {
  Invoke-Dotnet build $sln -c Release
  $node = Join-Path $root "src/FlowActors.Node/bin/$Configuration/net10.0/FlowActors.Node.dll"
  $flowctl = Join-Path $root "src/FlowActors.Cli/bin/$Configuration/net10.0/flowctl.dll"
  $data = Join-Path ([System.IO.Path]::GetTempPath()) ("flowactors-e2e-" + [guid]::NewGuid().ToString('N'))
  New-Item -ItemType Directory $data | Out-Null
  $netflow = Get-FreePort -Udp; $remoting = Get-FreePort; $operator = Get-FreePort
  $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet', "`"$node`"")
  $psi.WorkingDirectory = $data
  $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
  $psi.Environment['FLOWACTORS__DATADIRECTORY'] = $data
  $psi.Environment['FLOWACTORS__CLUSTER__PORT'] = "$remoting"
  $psi.Environment['FLOWACTORS__OPERATOR__PORT'] = "$operator"
  $psi.Environment['FLOWACTORS__RECEIVERS__NETFLOWPORT'] = "$netflow"
  $psi.Environment['FLOWACTORS__RECEIVERS__IPFIXPORT'] = '0'
  $psi.Environment['FLOWACTORS__RECEIVERS__SFLOWPORT'] = '0'
  $psi.Environment['FLOWACTORS__RECEIVERS__BINDADDRESS'] = '127.0.0.1'
  $proc = [System.Diagnostics.Process]::Start($psi)
  $log = Join-Path $data 'node.log'
  $outTask = $proc.StandardOutput.ReadToEndAsync(); $errTask = $proc.StandardError.ReadToEndAsync()
  $http = [System.Net.Http.HttpClient]::new()
  $base = "http://127.0.0.1:$operator"
  try {
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while ($true) {
      if ($proc.HasExited) { throw "node exited early (code $($proc.ExitCode))" }
      try { if (($http.GetAsync("$base/healthz/ready").GetAwaiter().GetResult()).IsSuccessStatusCode) { break } } catch { }
      if ([DateTime]::UtcNow -gt $deadline) { throw 'node not ready within 120 s' }
      Start-Sleep -Milliseconds 250
    }
    $metric = 'flowactors_host_observations'
    $before = Get-MetricSum ($http.GetStringAsync("$base/metrics").GetAwaiter().GetResult()) $metric
    $cpuBefore = Get-ProcessCpuSeconds $proc.Id
    $genArgs = @($flowctl, 'generate', '--to', "127.0.0.1:$netflow", '--flows', "$Flows", '--hosts', "$Hosts", '--rate', "$Rate")
    if ($InternalPeers) { $genArgs += '--internal-peers' }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    & dotnet @genArgs
    if ($LASTEXITCODE -ne 0) { throw 'flowctl generate failed' }
    $sendSeconds = $clock.Elapsed.TotalSeconds
    # Wait until the host actors stop applying (no change for 3 s), remembering when the count last moved.
    $last = -1.0; $lastChange = $clock.Elapsed.TotalSeconds; $metrics = ''
    while ($clock.Elapsed.TotalSeconds - $lastChange -lt 3 -and $clock.Elapsed.TotalSeconds -lt 600) {
      $metrics = $http.GetStringAsync("$base/metrics").GetAwaiter().GetResult()
      $now = Get-MetricSum $metrics $metric
      if ($now -ne $last) { $last = $now; $lastChange = $clock.Elapsed.TotalSeconds }
      Start-Sleep -Milliseconds 200
    }
    $observed = $last - $before
    $records = Get-MetricSum $metrics 'flowactors_receiver_records'
    $datagrams = Get-MetricSum $metrics 'flowactors_receiver_datagrams'
    $dropped = Get-MetricSum $metrics 'flowactors_receiver_dropped'
    $perFlow = if ($InternalPeers) { 2 } else { 1 }
    $cpuSeconds = (Get-ProcessCpuSeconds $proc.Id) - $cpuBefore
    Write-Host ''
    Write-Host ('flows sent:            {0:N0} in {1:F2} s (offered {2:N0} flows/s)' -f $Flows, $sendSeconds, ($Flows / $sendSeconds))
    Write-Host ('datagrams received:    {0:N0}; records decoded: {1:N0}; dropped: {2:N0}' -f $datagrams, $records, $dropped)
    Write-Host ('observations applied:  {0:N0} ({1:P1} of the {2:N0} expected)' -f $observed, ($observed / ($Flows * $perFlow)), ($Flows * $perFlow))
    Write-Host ('end to end:            {0:N0} flows/s (observations/{1} per flow, first send to last applied, {2:F2} s)' -f ($observed / $perFlow / $lastChange), $perFlow, $lastChange)
    Write-Host ('node CPU under load:   {0:F1} s ({1:N0} flows per CPU-second of the node)' -f $cpuSeconds, ($observed / $perFlow / [Math]::Max($cpuSeconds, 0.001)))
  }
  finally {
    if (-not $proc.HasExited) {
      & kill -TERM $proc.Id
      if (-not $proc.WaitForExit(60000)) { $proc.Kill($true) }
    }
    $outTask.GetAwaiter().GetResult() + $errTask.GetAwaiter().GetResult() | Set-Content $log
    Write-Host "node log: $log"
    $http.Dispose()
  }
}

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

switch ($Target) {
  'build'   { Invoke-Build }
  'test'    { Invoke-Test }
  'bench'   { Invoke-Bench }
  'fuzz'    { Invoke-Fuzz }
  'bench-e2e' { Invoke-BenchE2E }
  'publish' { Invoke-Publish }
  'eval'    { Invoke-Eval }
  'default' { Invoke-Test }
  default   { throw "unknown target '$Target' (build, test, bench, bench-e2e, fuzz, eval, publish, default)" }
}
