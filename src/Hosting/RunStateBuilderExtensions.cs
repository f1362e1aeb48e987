using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Steward;
using Steward.Deferred;
using Steward.Hosting;
using Steward.Nurseries;
using Steward.Tasklets;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The registrations chained on <see cref="IRunStateBuilder"/>.</summary>
public static class RunStateBuilderExtensions
{
    /// <summary>
    /// Adds a supervised worker. Each instance (see <see cref="WorkerOptions.Instances"/>) runs in its own DI scope with a
    /// child RunState of the host's, from the moment the host has started. <typeparamref name="T"/> is resolved from the
    /// scope if registered, else created with its constructor's services.
    /// </summary>
    /// <remarks>Each run, and so each restart, resolves a new <typeparamref name="T"/> in a new DI scope: state that must
    /// survive restarts belongs in a singleton (see <see cref="IRunStateWorker"/>).</remarks>
    /// <typeparam name="T">The worker type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The worker's name (its key under <c>Steward:Workers</c>); the type name by default.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">A worker with this name is already registered.</exception>
    public static IRunStateBuilder AddWorker<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IRunStateBuilder builder, string? name = null)
        where T : class, IRunStateWorker
    {
        ArgumentNullException.ThrowIfNull(builder);
        var workerName = name ?? typeof(T).Name;
        ArgumentException.ThrowIfNullOrWhiteSpace(workerName, nameof(name));
        Catalog(builder).Add(new WorkerRegistration(workerName, typeof(T), services =>
            services.GetService<T>() is { } registered
                ? (registered, false)
                : (ActivatorUtilities.CreateInstance<T>(services), true)));
        return builder;
    }

    /// <summary>
    /// Adds a <see cref="MultiOpen"/> resource: a singleton the host opens before any hosted service starts (so a resource
    /// that cannot start fails start-up at once) and closes, exactly once, after every hosted service has stopped; and a
    /// scoped <see cref="Opened{T}"/> that adds one open per DI scope. At stop, leases still held are reported with their
    /// open sites.
    /// </summary>
    /// <typeparam name="T">The resource type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder AddMultiOpen<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IRunStateBuilder builder)
        where T : MultiOpen
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<T>();
        builder.Services.TryAddScoped(sp => new Opened<T>(sp.GetRequiredService<T>()));
        builder.Services.AddHostedService<MultiOpenHostedService<T>>();
        return builder;
    }

    /// <summary>Adds a singleton <see cref="Pool{T}"/> (disposed with the host, disposing what it keeps).</summary>
    /// <typeparam name="T">The pooled type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Makes a new item from the root services.</param>
    /// <param name="maxSize">How many returned items to keep; 0 keeps all.</param>
    /// <param name="name">The pool's name in telemetry; the item type's name by default.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder AddPool<T>(this IRunStateBuilder builder, Func<IServiceProvider, T> factory, int maxSize = 4, string? name = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        builder.Services.TryAddSingleton(sp => new Pool<T>(() => factory(sp), maxSize, name));
        return builder;
    }

    /// <summary>
    /// Adds the host's <see cref="TaskNursery"/> (a singleton named "host", or "host-2" and so on while another live
    /// nursery has that name; <see cref="NurseryFailurePolicy.CancelAll"/>):
    /// start background tasks in it from anywhere; a child that fails stops the host with exit code 1; the host's stop
    /// closes it once the workers have stopped (so they can still use it while winding down), cancelling its children
    /// and awaiting them within the shutdown budget.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The nursery's name.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder AddTaskNursery(this IRunStateBuilder builder, string name = "host")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        builder.Services.TryAddSingleton(sp => HostNurseryHostedService.Create(sp, name));
        builder.Services.AddHostedService<HostNurseryHostedService>();
        return builder;
    }

    /// <summary>
    /// Adds the host's <see cref="TaskletLoop"/> (a singleton named "host", on the host's <see cref="TimeProvider"/>):
    /// <paramref name="configure"/> spawns tasklets on it once every hosted service has started, and the host's stop
    /// stops the loop within the shutdown budget. Call it more than once to add more tasklets to the same loop.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Spawns the tasklets.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder AddTasklets(this IRunStateBuilder builder, Action<TaskletLoop> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.AddTasklets((_, loop) => configure(loop));
    }

    /// <summary>Adds the host's <see cref="TaskletLoop"/>; see <see cref="AddTasklets(IRunStateBuilder, Action{TaskletLoop})"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Spawns the tasklets, with the host's services at hand.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder AddTasklets(this IRunStateBuilder builder, Action<IServiceProvider, TaskletLoop> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddSingleton(new TaskletSetup(configure));
        if (!builder.Services.Any(d => d.ServiceType == typeof(TaskletLoop)))
        {
            builder.Services.AddSingleton(sp => new TaskletLoop(
                "host", sp.GetRequiredService<ILoggerFactory>().CreateLogger<TaskletLoop>(), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddHostedService<TaskletHostedService>();
        }

        return builder;
    }

    /// <summary>
    /// Adds a <see cref="DeferredCalls{T}"/> queue processed for the host's lifetime: calls made from any task (with
    /// <c>Oneway</c> or <c>SyncAsync</c>) run one at a time, in order, from the moment the host has started; the stop
    /// closes the queue and drains what is pending within its <see cref="DeferredCallOptions.DrainTimeout"/>. Resolve
    /// <c>DeferredCalls&lt;T&gt;</c> to make calls. <typeparamref name="T"/> is registered as a singleton if it is not
    /// yet; a <typeparamref name="T"/> that derives from <see cref="DeferredCallHandler{TSelf}"/> is its own queue.
    /// </summary>
    /// <typeparam name="T">The target type (or the handler type).</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Adjusts the queue's options (capacity, full mode, drain timeout).</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder AddDeferredCalls<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IRunStateBuilder builder, Action<DeferredCallOptions>? configure = null)
        where T : class =>
        builder.AddDeferredCalls<T>(DeferredCallProcessing.Host, configure);

    /// <summary>
    /// Adds a <see cref="DeferredCalls{T}"/> queue processed by <paramref name="processing"/>: by the host, as
    /// <see cref="AddDeferredCalls{T}(IRunStateBuilder, Action{DeferredCallOptions}?)"/> does, or by the application's own
    /// loop (a worker calling <c>ProcessPending()</c> between its critical sections), with the host draining what is left
    /// at the stop, after the workers have stopped.
    /// </summary>
    /// <typeparam name="T">The target type (or the handler type).</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="processing">Who runs the calls.</param>
    /// <param name="configure">Adjusts the queue's options (capacity, full mode, drain timeout).</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder AddDeferredCalls<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IRunStateBuilder builder, DeferredCallProcessing processing, Action<DeferredCallOptions>? configure = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<T>();
        builder.Services.TryAddSingleton(sp =>
        {
            var target = sp.GetRequiredService<T>();
            if (target is DeferredCalls<T> handler)
            {
                return handler;
            }

            var options = new DeferredCallOptions { TimeProvider = sp.GetRequiredService<TimeProvider>() };
            configure?.Invoke(options);
            return new DeferredCalls<T>(target, options, sp.GetRequiredService<ILoggerFactory>().CreateLogger<DeferredCalls<T>>());
        });
        builder.Services.AddSingleton(new DeferredCallsMode<T>(processing));
        builder.Services.AddHostedService<DeferredCallsHostedService<T>>();
        return builder;
    }

    private static WorkerCatalog Catalog(IRunStateBuilder builder) =>
        builder is RunStateBuilder steward
            ? steward.Catalog
            : throw new ArgumentException("Use the builder returned by services.AddRunState().", nameof(builder));
}
