/// `dotnet test` at its default verbosity prints a skipped test's name beside [SKIP] but not why; facts discovered
/// here carry their skip reason in the name, so the reason (missing chromium, missing shared data) is on screen.
module QuantReason.Analysis.Tests.SkipReason

// xunit marks the parameterless constructor obsolete for everyone but de-serialisers like this one.
#nowarn "44"

open System
open Xunit.Abstractions
open Xunit.Sdk

type ReasonInNameTestCase =
    inherit XunitTestCase

    [<Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")>]
    new() = { inherit XunitTestCase() }

    new(sink: IMessageSink, display: TestMethodDisplay, options: TestMethodDisplayOptions, testMethod: ITestMethod) =
        { inherit XunitTestCase(sink, display, options, testMethod) }

    override this.Initialize() =
        base.Initialize()
        if not (String.IsNullOrEmpty this.SkipReason) then
            this.DisplayName <- sprintf "%s (skipped: %s)" this.DisplayName this.SkipReason

type ReasonInNameDiscoverer(sink: IMessageSink) =
    interface IXunitTestCaseDiscoverer with
        member _.Discover(options, testMethod, _attribute) =
            let case =
                new ReasonInNameTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod)
            Seq.singleton (case :> IXunitTestCase)
