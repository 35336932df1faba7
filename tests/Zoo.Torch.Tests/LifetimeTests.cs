namespace Zoo.Torch.Tests;

[Collection(Serial.Name)]
public class LifetimeTests
{
    [Fact]
    public void A_thousand_Adam_steps_of_an_MLP_leave_the_live_tensor_count_where_it_started()
    {
        using var g = new Generator(0);
        using var model = nn.MLP([20, 32, 32, 20], Activation.Softplus, generator: g);
        using var adam = optim.Adam(model.parameters(), lr: 1e-3, weight_decay: 1e-4);
        using var x = rand([16, 20], g).DetachFromDisposeScope();
        using var target = x.gt(0.5).to(float32).DetachFromDisposeScope();
        // One warm-up step: Adam's moments and the parameters' gradients are allocated once and kept.
        Step();
        var before = SettledLiveTensors();
        double first = 0, last = 0;
        for (int i = 0; i < 1000; i++)
        {
            var loss = Step();
            if (i == 0) first = loss;
            last = loss;
        }
        LiveTensors.ShouldBe(before);
        last.ShouldBeLessThan(first * 0.9);  // and it really trained

        double Step()
        {
            using var scope = NewDisposeScope();
            adam.zero_grad(set_to_none: false);
            var loss = -nn.functional.bernoulli_log_prob(model.forward(x), target).mean();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 10.0);
            adam.step();
            return loss.item<double>();
        }
    }

    [Fact]
    public void Dispose_scope_frees_everything_but_what_moves_out()
    {
        var before = SettledLiveTensors();
        Tensor kept;
        Tensor dropped;
        using (var scope = NewDisposeScope())
        {
            var a = ones(3);
            dropped = a * 2;
            kept = (a + dropped).MoveToOuterDisposeScope();
            scope.Count.ShouldBe(2);
        }
        dropped.IsDisposed.ShouldBeTrue();
        kept.IsDisposed.ShouldBeFalse();
        kept.data<float>().ShouldBe([3f, 3, 3]);
        LiveTensors.ShouldBe(before + 1);
        kept.Dispose();
        LiveTensors.ShouldBe(before);
    }

    [Fact]
    public void Nested_scopes_move_to_the_enclosing_scope_and_detach_leaves_all_scopes()
    {
        var before = SettledLiveTensors();
        Tensor detached;
        using (var outer = NewDisposeScope())
        {
            Tensor moved;
            using (var inner = NewDisposeScope())
            {
                moved = ones(2).MoveToOuterDisposeScope();
                detached = ones(2).DetachFromDisposeScope();
            }
            moved.IsDisposed.ShouldBeFalse();
            outer.Count.ShouldBe(1);
        }
        detached.IsDisposed.ShouldBeFalse();
        detached.Dispose();
        LiveTensors.ShouldBe(before);
    }

    [Fact]
    public async Task Scope_and_no_grad_follow_the_flow_across_await_even_on_another_thread()
    {
        var before = SettledLiveTensors();
        var w = ones([2], requires_grad: true).DetachFromDisposeScope();
        // Run on the thread pool (no synchronization context) so continuations may resume on any thread.
        await Task.Run(async () =>
        {
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var t1 = ones(2);
                var threads = new HashSet<int> { Environment.CurrentManagedThreadId };
                for (int i = 0; i < 20; i++)
                {
                    await Task.Delay(1).ConfigureAwait(false);
                    threads.Add(Environment.CurrentManagedThreadId);
                    // Wherever it resumed, the scope and the no-grad flag came along.
                    DisposeScope.Current.ShouldBeSameAs(scope);
                    is_grad_enabled().ShouldBeFalse();
                    using var y = w * 2;
                    y.requires_grad.ShouldBeFalse();
                    _ = ones(1);
                }
                scope.Count.ShouldBe(21);
            }
            is_grad_enabled().ShouldBeTrue();
            using var z = w * 2;
            z.requires_grad.ShouldBeTrue();
        });
        // Pool threads were not left with gradients off.
        for (int i = 0; i < 8; i++)
        {
            var onPool = await Task.Run(() => { using var t = w * 2; return t.requires_grad; });
            onPool.ShouldBeTrue();
        }
        w.Dispose();
        LiveTensors.ShouldBe(before);
    }

    [Fact]
    public void Disposing_a_scope_out_of_order_throws()
    {
        var outer = NewDisposeScope();
        var inner = NewDisposeScope();
        Should.Throw<InvalidOperationException>(() => outer.Dispose()).Message.ShouldContain("out of order");
        inner.Dispose();
        outer.Dispose();
        DisposeScope.Current.ShouldBeNull();
    }

    [Fact]
    public void Finalizer_frees_tensors_nobody_disposed()
    {
        var before = SettledLiveTensors();
        MakeGarbage();
        for (int i = 0; i < 5 && LiveTensors > before; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        LiveTensors.ShouldBe(before);

        static void MakeGarbage()
        {
            for (int i = 0; i < 100; i++) _ = ones(10) * 3;
        }
    }
}
